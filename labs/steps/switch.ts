// The ToR: a private Open vSwitch with bridge tor0 (OpenFlow13, fail-mode secure, controller target).
import { join } from 'node:path';
import { attachOvs, startOvs } from '../lib/ovs.js';
import { tryRun } from '../lib/exec.js';
import type { LabStep, StatusLine } from '../lab/context.js';

/** The ToR's controller record: the longest wait between reconnect attempts (OVS's minimum). */
export const CONTROLLER_MAX_BACKOFF_MS = 1000;

export const tor: LabStep = {
  name: 'switch',
  title: 'start a private Open vSwitch with bridge tor0 (OpenFlow13, fail-mode secure, userspace datapath)',
  fix: 'see ovs-vswitchd.log / ovsdb-server.log in the OVS dir; is openvswitch-switch installed?',
  async up(ctx) {
    const t = ctx.info.topology;
    const ovs = await startOvs({ dir: join(ctx.config.stateDir, 'ovs'), ledger: ctx.ledger });
    ctx.info.ovs = { dir: ovs.dir, db: ovs.db };
    await ovs.addBridge(t.bridge, { controller: t.controller, failMode: 'secure', dpid: t.dpid });
    // OVS waits between connection attempts 1 s, doubled after every short-lived connection up to max_backoff
    // (default 8 s): restarting the controller a few times in a row left tor0 8-9 s without one. 1000 ms (the
    // least OVS accepts) bounds a reconnect to the 1 s floor. inactivity_probe stays OVS's 5 s: a controller that
    // exits closes the connection at once (loopback), and a shorter probe on a loaded machine only adds false
    // disconnects, each now costing a reconnect.
    await ovs.vsctl('set', 'controller', t.bridge, `max_backoff=${CONTROLLER_MAX_BACKOFF_MS}`);
    return `${t.bridge} dpid ${t.dpid} → controller ${t.controller} (max_backoff ${CONTROLLER_MAX_BACKOFF_MS} ms; ovsdb ${ovs.pids.ovsdb}, vswitchd ${ovs.pids.vswitchd})`;
  },
  async status(ctx) {
    const o = ctx.info.ovs;
    if (!o) return [{ resource: 'open vswitch', health: 'fail', detail: 'not started' }];
    const ovs = attachOvs(o.dir);
    const lines: StatusLine[] = [];
    lines.push({ resource: `ovsdb-server + ovs-vswitchd (${o.dir})`, health: ovs.alive() ? 'ok' : 'fail', detail: `pids ${ovs.pids.ovsdb}, ${ovs.pids.vswitchd}` });
    const br = ctx.info.topology.bridge;
    const exists = ovs.alive() && (await tryRun('ovs-vsctl', [`--db=${o.db}`, '--timeout=5', 'br-exists', br])).code === 0;
    lines.push({ resource: `bridge ${br}`, health: exists ? 'ok' : 'fail', detail: exists ? `${(await ovs.vsctl('list-ports', br)).trim().split('\n').filter(Boolean).length} ports` : 'missing' });
    if (exists) {
      const connected = (await ovs.vsctl('get', 'controller', br, 'is_connected').catch(() => 'false')).trim() === 'true';
      const flows = (await ovs.ofctl('dump-flows', br).catch(() => '')).split('\n').filter((l) => l.includes('cookie=')).length;
      lines.push({ resource: `controller ${ctx.info.topology.controller}`, health: connected ? 'ok' : 'info', detail: connected ? 'connected' : 'not reported connected by ovsdb (no controller yet, or ovs-vswitchd has not refreshed is_connected: it does every few seconds)' });
      lines.push({ resource: `flows on ${br}`, health: 'info', detail: `${flows} flow(s)` });
    }
    return lines;
  },
};
