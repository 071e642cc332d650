// Leader election (the ZooKeeper recipe): each candidate creates an ephemeral-sequential node under
// controller/election; the lowest sequence number leads; every other candidate watches only its
// predecessor (no herd effect). The leader's sequence number is a generation id that grows with every
// new leader — the controller passes it as the OpenFlow role-request generation_id, so a switch itself
// demotes a stale master even if the old leader has not noticed yet.
import { EventEmitter } from 'node:events';
import { isZkError } from './errors.js';
import { decode, encode, RECORD_VERSION, type CandidateRecord } from './schemas.js';
import type { ClusterStore } from './store.js';
import type { ConnectionState } from './zk.js';

export type ElectionRole = 'leader' | 'follower';

export interface RoleChange {
  role: ElectionRole;
  /** Sequence number of the current leader's node (monotonic across leaders); -1 if unknown. */
  generation: number;
  /** controllerId of the current leader, if known. */
  leaderId?: string;
  /** Why: 'elected', 'predecessor-gone', 'session-expired', 'disconnected', 'stopped', 'joined'. */
  reason: string;
}

export interface ElectionEvents {
  role: [RoleChange];
  error: [Error];
}

const PREFIX = 'n_';

function seqOf(name: string): number {
  return Number(name.slice(PREFIX.length));
}

export class LeaderElection extends EventEmitter<ElectionEvents> {
  private readonly store: ClusterStore;
  private readonly candidate: CandidateRecord;
  private nodePath: string | undefined;
  private nodeGen = 0;
  private _role: ElectionRole = 'follower';
  private _generation = -1;
  private stopped = false;
  private checking = false;
  private recheck = false;
  private disconnectTimer: NodeJS.Timeout | undefined;
  private readonly onState = (s: ConnectionState): void => this.stateChanged(s);
  private readonly onSession = (): void => { void this.rejoin(); };

  constructor(store: ClusterStore, candidate: { controllerId: string; ofEndpoint?: string }) {
    super();
    this.store = store;
    this.candidate = { v: RECORD_VERSION, controllerId: candidate.controllerId, startedAt: Date.now(), ofEndpoint: candidate.ofEndpoint };
  }

  get role(): ElectionRole { return this._role; }
  get isLeader(): boolean { return this._role === 'leader'; }
  get generation(): number { return this._generation; }
  get path(): string | undefined { return this.nodePath; }

  private report(e: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', e instanceof Error ? e : new Error(String(e)));
  }

  private setRole(role: ElectionRole, generation: number, reason: string, leaderId?: string): void {
    const changed = role !== this._role || generation !== this._generation;
    this._role = role;
    this._generation = generation;
    if (changed) this.emit('role', { role, generation, leaderId, reason });
  }

  /** Joins the election; resolves once this candidate knows whether it leads. */
  async start(): Promise<void> {
    this.store.session.on('state', this.onState);
    this.store.session.on('session', this.onSession);
    await this.join();
  }

  private async join(): Promise<void> {
    const L = this.store.layout;
    const data = encode('candidate', this.candidate, L.electionDir);
    const conn = await this.store.session.ready();
    this.nodeGen = this.store.session.generation;
    this.nodePath = await this.store.createNode(conn, `${L.electionDir}/${PREFIX}`, data, 'ephemeral_sequential');
    await this.check('joined');
  }

  private async rejoin(): Promise<void> {
    if (this.stopped) return;
    // The old node died with the old session.
    this.setRole('follower', this._generation, 'session-expired');
    try {
      await this.join();
    } catch (e) {
      this.report(e);
    }
  }

  private stateChanged(s: ConnectionState): void {
    if (this.stopped) return;
    if (s === 'connecting') {
      // Without ZooKeeper we cannot know whether we still lead. Keep the role (the switch arbitrates by
      // generation id) until the session would have expired, then step down.
      if (!this.disconnectTimer) {
        this.disconnectTimer = setTimeout(() => {
          this.disconnectTimer = undefined;
          if (this._role === 'leader') this.setRole('follower', this._generation, 'disconnected');
        }, this.store.session.opts.sessionTimeoutMs);
      }
    } else if (s === 'connected') {
      if (this.disconnectTimer) { clearTimeout(this.disconnectTimer); this.disconnectTimer = undefined; }
      void this.check('reconnected').catch((e) => this.report(e));
    } else if (s === 'expired') {
      if (this.disconnectTimer) { clearTimeout(this.disconnectTimer); this.disconnectTimer = undefined; }
      this.setRole('follower', this._generation, 'session-expired');
    }
  }

  /** Evaluates the children; leads if first, otherwise watches the predecessor. */
  private async check(reason: string): Promise<void> {
    if (this.checking) { this.recheck = true; return; }
    this.checking = true;
    try {
      do {
        this.recheck = false;
        await this.checkOnce(reason);
      } while (this.recheck && !this.stopped);
    } finally {
      this.checking = false;
    }
  }

  private async checkOnce(reason: string): Promise<void> {
    if (this.stopped || !this.nodePath || this.nodeGen !== this.store.session.generation) return;
    const L = this.store.layout;
    const conn = await this.store.session.ready();
    const mine = this.nodePath.slice(L.electionDir.length + 1);
    const kids = (await conn.getChildren(L.electionDir)).filter((k) => k.startsWith(PREFIX)).sort((a, b) => seqOf(a) - seqOf(b));
    const idx = kids.indexOf(mine);
    if (idx < 0) {
      // Our node is gone although the session lives (deleted by someone): re-create it.
      this.nodePath = undefined;
      this.setRole('follower', this._generation, 'node-lost');
      await this.join();
      return;
    }
    if (idx === 0) {
      this.setRole('leader', seqOf(mine), reason === 'joined' ? 'elected' : reason, this.candidate.controllerId);
      return;
    }
    const leaderName = kids[0] as string;
    let leaderId: string | undefined;
    try {
      const { data } = await conn.get(`${L.electionDir}/${leaderName}`);
      leaderId = decode('candidate', data).controllerId;
    } catch (e) {
      if (!isZkError(e, 'NO_NODE')) this.report(e);
    }
    const pred = `${L.electionDir}/${kids[idx - 1] as string}`;
    const gen = this.store.session.generation;
    const st = await conn.exists(pred, (ev) => {
      if (ev.type === 'deleted' && gen === this.store.session.generation) void this.check('predecessor-gone').catch((e) => this.report(e));
    });
    if (st === null) { this.recheck = true; return; }
    this.setRole('follower', seqOf(leaderName), reason, leaderId);
  }

  /** Leaves the election (deletes the node: a follower takes over at once). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.store.session.off('state', this.onState);
    this.store.session.off('session', this.onSession);
    if (this.disconnectTimer) clearTimeout(this.disconnectTimer);
    const p = this.nodePath;
    this.nodePath = undefined;
    if (p && !this.store.session.isClosed) {
      try {
        const conn = await this.store.session.ready(2000);
        await conn.delete(p, -1);
      } catch (e) {
        if (!isZkError(e, 'NO_NODE')) this.report(e);
      }
    }
    this.setRole('follower', this._generation, 'stopped');
  }

  /** The current candidates in election order. */
  async candidates(): Promise<(CandidateRecord & { seq: number })[]> {
    const L = this.store.layout;
    const conn = await this.store.session.ready();
    const kids = (await conn.getChildren(L.electionDir)).filter((k) => k.startsWith(PREFIX)).sort((a, b) => seqOf(a) - seqOf(b));
    const out: (CandidateRecord & { seq: number })[] = [];
    for (const k of kids) {
      try {
        const { data } = await conn.get(`${L.electionDir}/${k}`);
        out.push({ ...decode('candidate', data), seq: seqOf(k) });
      } catch (e) {
        if (!isZkError(e, 'NO_NODE')) throw e;
      }
    }
    return out;
  }
}
