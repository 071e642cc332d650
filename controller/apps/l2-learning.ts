// Default L2 learning switch app, behaving like Ryu's simple_switch_13:
//  - on switch up: table-miss flow (table 0, priority 0, empty match → output CONTROLLER, no buffering);
//  - on packet_in: learn eth_src → in_port; if eth_dst is known install a flow {in_port, eth_dst, eth_src} →
//    output(port) (priority 1, idle timeout) carrying the packet's buffer_id when the switch buffered it (no
//    packet_out then, as Ryu), else flow_mod + packet_out with the frame; unknown/multicast dst → packet_out FLOOD;
//  - LLDP is ignored; MACs learned on a port are forgotten when that port goes down or is deleted.
// The packet_in path writes the two replies straight into the session's write buffer (controller/wire.ts builders,
// byte-checked against the codec in test/controller/wire.test.ts).
import { OFPCML_NO_BUFFER, OFPP_CONTROLLER, OFPP_FLOOD, OFP_NO_BUFFER, L2_FLOW_MOD_LEN, l2PacketOutLen, writeL2FlowMod, writeL2PacketOut } from '../wire.js';
import { WriteQueueFullError } from '../errors.js';
import type { SwitchPort } from '../api.js';
import type { PacketIn } from '../packet-in.js';
import type { Session } from '../session.js';
import type { ControllerApp } from './types.js';
import { MacTable, isMulticast, macHi, macLo } from './mac-table.js';

export interface L2LearningOptions {
  /** idle timeout of installed flows, seconds (default 60; 0 = none as in Ryu's sample) */
  idleTimeout?: number;
  /** priority of learned flows (default 1) */
  priority?: number;
  /** MACs remembered per switch (default 65536) */
  maxMacs?: number;
  log?: (text: string) => void;
}

export class L2LearningApp implements ControllerApp {
  readonly name = 'l2-learning';
  readonly tables = new Map<Session, MacTable>();
  readonly counters = { packetIns: 0, flowMods: 0, packetOuts: 0, floods: 0, dropped: 0 };
  private readonly idle: number;
  private readonly priority: number;
  private readonly maxMacs: number;

  constructor(private readonly opts: L2LearningOptions = {}) {
    this.idle = opts.idleTimeout ?? 60;
    this.priority = opts.priority ?? 1;
    this.maxMacs = opts.maxMacs ?? 65536;
  }

  table(sw: Session): MacTable | undefined {
    return this.tables.get(sw);
  }

  async switchUp(sw: Session): Promise<void> {
    this.tables.set(sw, new MacTable(this.maxMacs));
    try {
      await sw.sendBatch([{
        kind: 'OFPFlowMod', cookie: 0n, cookie_mask: 0n, table_id: 0, command: 0, idle_timeout: 0, hard_timeout: 0,
        priority: 0, buffer_id: OFP_NO_BUFFER, out_port: 0xffffffff, out_group: 0xffffffff, flags: 0,
        match: { oxm_fields: [] },
        instructions: [{ kind: 'OFPInstructionActions', type: 4, actions: [{ kind: 'OFPActionOutput', port: OFPP_CONTROLLER, max_len: OFPCML_NO_BUFFER }] }],
      }]);
    } catch (err) {
      this.opts.log?.(`l2-learning: table-miss flow on ${sw.label} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  switchDown(sw: Session): void {
    this.tables.delete(sw);
  }

  portStatus(sw: Session, reason: 'ADD' | 'DELETE' | 'MODIFY', port: SwitchPort): void {
    if (reason === 'DELETE' || (port.state & 1) !== 0 /* OFPPS_LINK_DOWN */) this.tables.get(sw)?.forgetPort(port.port_no);
  }

  packetIn(sw: Session, pi: PacketIn): boolean {
    this.counters.packetIns++;
    if (pi.dataLen < 14 || pi.inPort < 0) return false;
    const raw = pi.raw;
    const d = pi.dataOff;
    if (raw[d + 12] === 0x88 && raw[d + 13] === 0xcc) return true; // LLDP
    let table = this.tables.get(sw);
    if (table === undefined) {
      table = new MacTable(this.maxMacs);
      this.tables.set(sw, table);
    }
    if (!isMulticast(raw, d + 6)) table.learn(macHi(raw, d + 6), macLo(raw, d + 6), pi.inPort);
    const out = isMulticast(raw, d) ? undefined : table.lookup(macHi(raw, d), macLo(raw, d));
    try {
      if (out !== undefined) {
        const off = sw.reserve(L2_FLOW_MOD_LEN);
        writeL2FlowMod(sw.wbuf, off, sw.nextXid(), this.priority, this.idle, pi.bufferId, pi.inPort, raw, d, d + 6, out);
        this.counters.flowMods++;
        if (pi.bufferId !== OFP_NO_BUFFER) return true;
      } else {
        this.counters.floods++;
      }
      const dataLen = pi.bufferId === OFP_NO_BUFFER ? pi.dataLen : 0;
      const off = sw.reserve(l2PacketOutLen(dataLen));
      writeL2PacketOut(sw.wbuf, off, sw.nextXid(), pi.bufferId, pi.inPort, out ?? OFPP_FLOOD, raw, d, dataLen);
      this.counters.packetOuts++;
    } catch (err) {
      if (err instanceof WriteQueueFullError) this.counters.dropped++;
      else throw err;
    }
    return true;
  }
}
