// Example TypeScript NF: a flow tracker. Runs as its own process (a DPDK secondary inside Node):
//   node --import tsx native/ts-nf/flow-tracker.ts <EAL args> -- --instance N [--drop-dport P] [--report-every S]
// For every batch it reads the IPv4 5-tuple straight out of the packet mempool (zero-copy views),
// counts packets per flow in a Map keyed by a number, and returns actions in a typed array:
// NEXT for everything, DROP for UDP/TCP packets to --drop-dport. A CONFIG message "drop-dport=P"
// changes the port at run time. On exit it prints one JSON line: {"packets","flows","dropped"}.
import { Action, MsgType, TsNf, type NfBatch } from '../index.js';

const argv = process.argv.slice(2);
const dd = argv.indexOf('--');
const own = dd >= 0 ? argv.slice(dd + 1) : [];
let dropDport = -1;
let reportEvery = 0;
for (let i = 0; i < own.length; i++) {
  if (own[i] === '--drop-dport') dropDport = Number(own[++i]);
  else if (own[i] === '--report-every') reportEvery = Number(own[++i]);
}

const nf = TsNf.init(argv);
const flows = new Map<number, number>();
let packets = 0;
let dropped = 0;

function handle(b: NfBatch): void {
  const p = b.pool;
  const n = b.n;
  packets += n;
  for (let i = 0; i < n; i++) {
    const o = b.off[i];
    if (b.len[i] < 38 || p[o + 12] !== 0x08 || p[o + 13] !== 0x00) continue; // IPv4 only
    const ihl = (p[o + 14] & 0x0f) * 4;
    const proto = p[o + 23];
    const src = ((p[o + 26] << 24) | (p[o + 27] << 16) | (p[o + 28] << 8) | p[o + 29]) >>> 0;
    const dst = ((p[o + 30] << 24) | (p[o + 31] << 16) | (p[o + 32] << 8) | p[o + 33]) >>> 0;
    let sport = 0;
    let dport = 0;
    if (proto === 6 || proto === 17) {
      const l4 = o + 14 + ihl;
      sport = (p[l4] << 8) | p[l4 + 1];
      dport = (p[l4 + 2] << 8) | p[l4 + 3];
    }
    // a 52-bit key from the tuple (collisions only merge counters of this example)
    const key = ((src ^ Math.imul(dst, 0x9e3779b1)) >>> 0) * 0x100000 + (((sport << 4) ^ dport ^ (proto << 12)) & 0xfffff);
    flows.set(key, (flows.get(key) ?? 0) + 1);
    if (dport === dropDport) {
      b.actions[i] = Action.DROP;
      dropped++;
    }
  }
}

let lastReport = Date.now();
await nf.run(handle, {
  onMessage: (m) => {
    if (m.type === MsgType.CONFIG) {
      const mm = /drop-dport=(-?\d+)/.exec(m.text);
      if (mm) dropDport = Number(mm[1]);
      nf.sendMessage(MsgType.LOG, [], `drop-dport=${dropDport}`);
    }
  },
  onTick: () => {
    if (reportEvery > 0 && Date.now() - lastReport >= reportEvery * 1000) {
      lastReport = Date.now();
      console.log(`flow-tracker[${nf.instance}]: ${packets} packets ${flows.size} flows ${dropped} dropped`);
    }
  },
});
console.log(JSON.stringify({ packets, flows: flows.size, dropped }));
nf.close();
process.exit(0);
