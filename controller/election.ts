// Controller leader election → OpenFlow role. The elected controller asks every connected switch for
// role MASTER, the others for SLAVE; the generation id is the leader's election sequence number, which
// grows with every new leader, so a switch demotes a stale master by itself (OF1.3 §6.3.5).
// When the leader dies, its ephemeral node vanishes after its session timeout and the next candidate
// (the only one watching it) becomes leader and MASTER: takeover ≤ session timeout + a round trip.
import { EventEmitter } from 'node:events';
import { LeaderElection, type RoleChange } from '../cluster/election.js';
import type { ClusterStore } from '../cluster/store.js';
import type { ControllerEvent, ControllerHandle, ControllerRole } from './api.js';

/** The part of the OpenFlow channel the election needs (controller/api.ts ControllerHandle fits). */
export type RoleTarget = Pick<ControllerHandle, 'switches' | 'session' | 'subscribe'>;

export interface ControllerElectionOptions {
  controllerId: string;
  /** Advertised in the candidate record, e.g. "tcp:10.0.0.1:6653". */
  ofEndpoint?: string;
  /** The OpenFlow channel; without it only `role` events are emitted. */
  of?: RoleTarget;
  log?: (level: 'info' | 'warn', msg: string) => void;
}

export interface ControllerElectionEvents {
  /** The OpenFlow role this controller now takes on every switch. */
  role: [{ role: 'MASTER' | 'SLAVE'; generationId: bigint; change: RoleChange }];
  /** A switch answered a role request. */
  applied: [{ dpid: bigint; role: ControllerRole; generationId: bigint }];
  error: [Error];
}

export class ControllerElection extends EventEmitter<ControllerElectionEvents> {
  readonly election: LeaderElection;
  private readonly opts: ControllerElectionOptions;
  private ofRoleValue: 'MASTER' | 'SLAVE' = 'SLAVE';
  private gen = 0n;
  private unsubscribe: (() => void) | undefined;
  private readonly chains = new Map<bigint, Promise<void>>();

  constructor(store: ClusterStore, opts: ControllerElectionOptions) {
    super();
    this.opts = opts;
    this.election = new LeaderElection(store, { controllerId: opts.controllerId, ofEndpoint: opts.ofEndpoint });
    this.election.on('role', (c) => this.onRole(c));
    this.election.on('error', (e) => this.report(e));
  }

  get ofRole(): 'MASTER' | 'SLAVE' { return this.ofRoleValue; }
  get generationId(): bigint { return this.gen; }
  get isLeader(): boolean { return this.election.isLeader; }

  private report(e: unknown): void {
    const err = e instanceof Error ? e : new Error(String(e));
    this.opts.log?.('warn', `[election ${this.opts.controllerId}] ${err.message}`);
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  async start(): Promise<void> {
    if (this.opts.of) {
      this.unsubscribe = this.opts.of.subscribe((ev: ControllerEvent) => {
        if (ev.type === 'switch-up') this.applyTo(ev.dpid);
      });
    }
    await this.election.start();
    // A follower that joined behind an existing leader gets no 'role' change event (it starts as follower).
    if (!this.election.isLeader) this.onRole({ role: 'follower', generation: this.election.generation, reason: 'joined' }, true);
  }

  private onRole(c: RoleChange, force = false): void {
    const role = c.role === 'leader' ? 'MASTER' : 'SLAVE';
    const gen = c.generation >= 0 ? BigInt(c.generation) : this.gen;
    if (!force && role === this.ofRoleValue && gen === this.gen) return;
    this.ofRoleValue = role;
    if (gen > this.gen) this.gen = gen;
    this.opts.log?.('info', `[election ${this.opts.controllerId}] ${c.role} (${c.reason}), OpenFlow role ${role}, generation ${this.gen}`);
    this.emit('role', { role, generationId: this.gen, change: c });
    for (const sw of this.opts.of?.switches() ?? []) this.applyTo(sw.dpid);
  }

  /** Sends the current role to one switch (serialised per switch so requests never overtake each other). */
  private applyTo(dpid: bigint): void {
    const prev = this.chains.get(dpid) ?? Promise.resolve();
    const next = prev.then(async () => {
      const s = this.opts.of?.session(dpid);
      if (!s) return;
      const role = this.ofRoleValue;
      const gen = this.gen;
      try {
        const r = await s.requestRole(role, gen);
        this.emit('applied', { dpid, role: r.role, generationId: r.generationId });
      } catch (e) {
        this.report(new Error(`role ${role} (generation ${gen}) on ${dpid.toString(16).padStart(16, '0')}: ${(e as Error).message}`));
      }
    });
    this.chains.set(dpid, next);
  }

  /** Leaves the election (a follower takes over immediately) and becomes SLAVE. */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    await this.election.stop();
  }
}
