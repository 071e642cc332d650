// Per-datapath MAC → port table of the L2 learning app. A MAC is split into its high 16 and low 32 bits, both
// kept as small integers (the low word as a signed int32), so the packet_in path builds no strings and no heap
// numbers: Map<hi16, Map<lo32|0, port>>. Bounded: beyond maxEntries the oldest entry of the oldest group is evicted.

export function macHi(b: Uint8Array, off: number): number {
  return (b[off] << 8) | b[off + 1];
}

export function macLo(b: Uint8Array, off: number): number {
  return (b[off + 2] << 24) | (b[off + 3] << 16) | (b[off + 4] << 8) | b[off + 5];
}

export function macToString(hi: number, lo: number): string {
  const h = (hi & 0xffff).toString(16).padStart(4, '0') + (lo >>> 0).toString(16).padStart(8, '0');
  return h.replace(/(..)(?!$)/g, '$1:');
}

export function isMulticast(b: Uint8Array, off: number): boolean {
  return (b[off] & 1) === 1;
}

export class MacTable {
  private readonly groups = new Map<number, Map<number, number>>();
  private count = 0;
  constructor(readonly maxEntries = 65536) {}

  get size(): number {
    return this.count;
  }

  /** learn MAC (hi, lo) at port; returns true if the entry is new or moved */
  learn(hi: number, lo: number, port: number): boolean {
    let g = this.groups.get(hi);
    if (g === undefined) {
      g = new Map();
      this.groups.set(hi, g);
    }
    const old = g.get(lo);
    if (old === port) return false;
    if (old !== undefined) {
      g.delete(lo); // re-insert: moved entries become the newest
    } else {
      if (this.count >= this.maxEntries) this.evictOne();
      this.count++;
    }
    g.set(lo, port);
    return true;
  }

  lookup(hi: number, lo: number): number | undefined {
    const g = this.groups.get(hi);
    return g === undefined ? undefined : g.get(lo);
  }

  /** forget every MAC learned on port (link down / port deleted); returns how many */
  forgetPort(port: number): number {
    let n = 0;
    for (const [hi, g] of this.groups) {
      for (const [lo, p] of g) if (p === port) { g.delete(lo); n++; }
      if (g.size === 0) this.groups.delete(hi);
    }
    this.count -= n;
    return n;
  }

  entries(): Array<{ mac: string; port: number }> {
    const out: Array<{ mac: string; port: number }> = [];
    for (const [hi, g] of this.groups) for (const [lo, port] of g) out.push({ mac: macToString(hi, lo), port });
    return out;
  }

  private evictOne(): void {
    for (const [hi, g] of this.groups) {
      const first = g.keys().next();
      if (!first.done) {
        g.delete(first.value);
        this.count--;
        if (g.size === 0) this.groups.delete(hi);
        return;
      }
      this.groups.delete(hi);
    }
  }
}
