// Per-datapath MAC → port table of the L2 learning app. MACs are kept as numbers (48 bits fit a double exactly),
// so the packet_in path never builds strings. Bounded: the oldest entry is evicted beyond maxEntries.

export function macAt(b: Uint8Array, off: number): number {
  return (b[off] * 0x10000 + ((b[off + 1] << 8) | b[off + 2])) * 0x1000000 + ((b[off + 3] << 16) | (b[off + 4] << 8) | b[off + 5]);
}

export function macToString(mac: number): string {
  return mac.toString(16).padStart(12, '0').replace(/(..)(?!$)/g, '$1:');
}

export function isMulticast(b: Uint8Array, off: number): boolean {
  return (b[off] & 1) === 1;
}

export class MacTable {
  private readonly map = new Map<number, number>();
  constructor(readonly maxEntries = 65536) {}

  get size(): number {
    return this.map.size;
  }

  /** learn mac at in_port; returns true if the entry is new or moved */
  learn(mac: number, port: number): boolean {
    const old = this.map.get(mac);
    if (old === port) return false;
    if (old !== undefined) this.map.delete(mac);
    else if (this.map.size >= this.maxEntries) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
    this.map.set(mac, port);
    return true;
  }

  lookup(mac: number): number | undefined {
    return this.map.get(mac);
  }

  /** forget every MAC learned on port (link down / port deleted) */
  forgetPort(port: number): number {
    let n = 0;
    for (const [mac, p] of this.map) if (p === port) { this.map.delete(mac); n++; }
    return n;
  }

  entries(): Array<{ mac: string; port: number }> {
    return [...this.map].map(([mac, port]) => ({ mac: macToString(mac), port }));
  }
}
