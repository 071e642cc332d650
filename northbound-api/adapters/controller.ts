// SwitchPort over the controller's ControllerHandle (controller/api.ts).
import type { ControllerHandle, ControllerRole } from '../../controller/api.js';
import type { OfMessage } from '../../openflow/types.js';
import type { SwitchInfo, SwitchPort } from '../ports.js';
import { RyuBadRequest } from '../ryu/util.js';

const ROLE_NAMES: ControllerRole[] = ['NOCHANGE', 'EQUAL', 'MASTER', 'SLAVE'];

function info(s: ReturnType<ControllerHandle['switches']>[number]): SwitchInfo {
  return {
    dpid: s.dpid,
    address: s.remote,
    version: 4,
    role: s.role,
    nTables: s.nTables,
    capabilities: s.capabilities,
    connectedAt: s.connectedAt.getTime(),
    ports: s.ports.map((p) => ({ ...p })),
  };
}

export function controllerSwitchPort(ctrl: ControllerHandle): SwitchPort {
  const session = (dpid: bigint) => {
    const s = ctrl.session(dpid);
    // the switch went away between lookup and use: same as a closed session
    if (!s) throw Object.assign(new Error(`switch ${dpid} is not connected`), { name: 'SessionClosedError' });
    return s;
  };
  return {
    switches: () => ctrl.switches().map(info),
    get: (dpid) => {
      const s = ctrl.session(dpid);
      return s ? info(s.info()) : undefined;
    },
    request: (dpid, msg: OfMessage, opts) => session(dpid).request(msg, opts?.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    send: async (dpid, msgs, opts) => {
      await session(dpid).sendBatch(msgs, { barrier: opts.barrier, ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}) });
    },
    setRole: async (dpid, role) => {
      const name = ROLE_NAMES[role];
      if (!name) throw new RyuBadRequest(`role ${role} is not a valid OFPCR_ROLE_* (0..3)`);
      const r = await session(dpid).requestRole(name);
      return { role: ROLE_NAMES.indexOf(r.role), generationId: r.generationId };
    },
  };
}
