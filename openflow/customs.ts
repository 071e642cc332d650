// Hand-written codecs for the few fields the description language does not express: OXM TLVs, the hello
// version bitmap, NX learn flow specs, ONF flow-monitor requests (match without ofp_match header), OXM ids.
// Same contract as generated codecs: dec(dv,u8,p,end) leaves st.nx; enc(dv,u8,p,v,path) returns the new offset.
import type { CustomCodec } from './compile.js';
import type { NXFlowSpec, OFPMatch, ONFFlowMonitorRequest, OFPOxmId, OxmTlv } from './types.js';
import { OfEncodeError } from './errors.js';
import { fail, st } from './runtime.js';
import { oxmDescByName, oxmHeaderOf, oxmNameOf, toBig } from './oxm.js';
import { dOxm, dOxmList, eOxm, eOxmList } from './oxm-fast.js';
import { NX_EXPERIMENTER_ID, OFPXMC } from './constants.js';
import { ipv4ToString, ipv6ToString, writeIpv4, writeIpv6 } from './addr.js';

// local aliases (hot path; no live-binding indirection under transpiling loaders)
const dOxmL = dOxm, dOxmListL = dOxmList, eOxmL = eOxm, eOxmListL = eOxmList;

function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object';
}

const Oxm: CustomCodec = {
  dec: (dv, u8, p, end) => dOxmL(dv, u8, p, end),
  enc: (dv, u8, p, v, path) => eOxmL(dv, u8, p, v as OxmTlv, path),
};
const OxmList: CustomCodec = {
  dec: (dv, u8, p, end) => dOxmListL(dv, u8, p, end),
  enc: (dv, u8, p, v, path) => eOxmListL(dv, u8, p, v as OxmTlv[], path),
};

const VersionBitmap: CustomCodec = {
  dec(dv, _u8, p, end) {
    if ((end - p) & 3) throw fail('bad_length', `version bitmap of ${end - p} bytes is not a multiple of 4`, p);
    const versions: number[] = [];
    for (let w = 0; p + 4 * w < end; w++) {
      const bits = dv.getUint32(p + 4 * w);
      for (let b = 0; b < 32; b++) if ((bits >>> b) & 1) versions.push(w * 32 + b);
    }
    st.nx = end;
    return versions;
  },
  enc(dv, _u8, p, v, path) {
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x > 1023)) {
      throw new OfEncodeError('versions must be a list of integers 0..1023', path);
    }
    const nums = v as number[];
    const words = nums.length ? Math.floor(Math.max(...nums) / 32) + 1 : 0;
    for (let w = 0; w < words; w++) {
      let bits = 0;
      for (const x of nums) if (Math.floor(x / 32) === w) bits |= 1 << (x % 32);
      dv.setUint32(p + 4 * w, bits >>> 0);
    }
    return p + 4 * words;
  },
};

// ---- NX learn specs (nicira-ext.h, struct nx_flow_mod_spec)
function dSubfield(dv: DataView, p: number, end: number): [string, number] {
  if (p + 6 > end) throw fail('bad_length', 'NX flow spec subfield runs past the action', p);
  const hdr = dv.getUint32(p);
  return [oxmNameOf(hdr >>> 16, (hdr >>> 9) & 0x7f), dv.getUint16(p + 4)];
}
function eSubfield(dv: DataView, p: number, v: unknown, path: string): number {
  if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== 'string' || typeof v[1] !== 'number') {
    throw new OfEncodeError('subfield must be [field name, bit offset]', path);
  }
  const d = oxmDescByName(v[0]);
  dv.setUint32(p, oxmHeaderOf(v[0], 0, d ? d.size : 0, path).hdr);
  dv.setUint16(p + 4, v[1]);
  return p + 6;
}
const LearnSpecs: CustomCodec = {
  dec(dv, _u8, p, end) {
    const specs: NXFlowSpec[] = [];
    while (p + 2 <= end) {
      const hdr = dv.getUint16(p);
      p += 2;
      if (hdr === 0) continue; // all-zero header = padding
      if (hdr & 0xc400) throw fail('bad_value', `NX flow spec header 0x${hdr.toString(16)} has reserved bits set`, p - 2);
      const srcType = (hdr >> 13) & 1, dstType = (hdr >> 11) & 3, nBits = hdr & 0x3ff;
      let src: [string, number] | number | bigint;
      if (srcType === 0) { src = dSubfield(dv, p, end); p += 6; } else {
        const n = Math.floor((nBits + 15) / 16) * 2;
        if (p + n > end) throw fail('bad_length', 'NX flow spec immediate runs past the action', p);
        let big = 0n;
        for (let i = 0; i < n; i++) big = (big << 8n) | BigInt(dv.getUint8(p + i));
        src = n <= 6 ? Number(big) : big;
        p += n;
      }
      if (dstType === 0 || dstType === 1) {
        const dst = dSubfield(dv, p, end); p += 6;
        specs.push({ kind: dstType === 0 ? 'NXFlowSpecMatch' : 'NXFlowSpecLoad', src, dst, n_bits: nBits });
      } else if (dstType === 2) {
        if (!Array.isArray(src)) throw fail('bad_value', 'NX flow spec output needs a subfield source', p);
        specs.push({ kind: 'NXFlowSpecOutput', src, dst: '', n_bits: nBits });
      } else throw fail('bad_value', `NX flow spec destination type ${dstType}`, p - 2);
    }
    st.nx = end;
    return specs;
  },
  enc(dv, _u8, p, v, path) {
    if (!Array.isArray(v)) throw new OfEncodeError('specs must be a list', path);
    for (const s of v as unknown[]) {
      if (!isObj(s)) throw new OfEncodeError('spec must be an object', path);
      const dstType = s.kind === 'NXFlowSpecMatch' ? 0 : s.kind === 'NXFlowSpecLoad' ? 1 : s.kind === 'NXFlowSpecOutput' ? 2 : -1;
      if (dstType < 0) throw new OfEncodeError(`unknown flow spec kind ${String(s.kind)}`, path);
      const nBits = s.n_bits;
      if (typeof nBits !== 'number' || nBits < 0 || nBits > 0x3ff) throw new OfEncodeError('n_bits must be 0..1023', path);
      const immediate = !Array.isArray(s.src);
      dv.setUint16(p, ((immediate ? 1 : 0) << 13) | (dstType << 11) | nBits);
      p += 2;
      if (!immediate) p = eSubfield(dv, p, s.src, path);
      else {
        const n = Math.floor((nBits + 15) / 16) * 2;
        let big = toBig(s.src, n * 8, `${path}.src`);
        for (let i = n - 1; i >= 0; i--) { dv.setUint8(p + i, Number(big & 0xffn)); big >>= 8n; }
        p += n;
      }
      if (dstType !== 2) p = eSubfield(dv, p, s.dst, path);
    }
    return p;
  },
};

// ---- ONF flow monitor request (ext-187): fixed 16 bytes, then match_len bytes of OXMs, padded to 8
const ONFFlowMonitorRequestCodec: CustomCodec = {
  dec(dv, u8, o, end) {
    if (o + 16 > end) throw fail('bad_length', `ONFFlowMonitorRequest needs 16 bytes, ${end - o} left`, o);
    const matchLen = dv.getUint16(o + 6);
    const me = o + 16 + matchLen, xe = o + 16 + ((matchLen + 7) & ~7);
    if (xe > end) throw fail('bad_length', `ONFFlowMonitorRequest match_len ${matchLen} runs past its container`, o + 6);
    const oxm = dOxmList(dv, u8, o + 16, me);
    const match: OFPMatch = { kind: 'OFPMatch', type: 1, length: 4 + matchLen, oxm_fields: oxm };
    const r: ONFFlowMonitorRequest = {
      kind: 'ONFFlowMonitorRequest', id: dv.getUint32(o), flags: dv.getUint16(o + 4), match_len: matchLen,
      out_port: dv.getUint32(o + 8), table_id: dv.getUint8(o + 12), match,
    };
    st.nx = xe;
    return r;
  },
  enc(dv, u8, o, v, path) {
    if (!isObj(v)) throw new OfEncodeError('expected an ONFFlowMonitorRequest', path);
    const r = v as unknown as ONFFlowMonitorRequest;
    for (const [k, max] of [['id', 0xffffffff], ['flags', 0xffff], ['out_port', 0xffffffff], ['table_id', 0xff]] as const) {
      const x = r[k];
      if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x > max) throw new OfEncodeError(`bad ${k}`, path);
    }
    dv.setUint32(o, r.id); dv.setUint16(o + 4, r.flags); dv.setUint32(o + 8, r.out_port); dv.setUint8(o + 12, r.table_id);
    dv.setUint8(o + 13, 0); dv.setUint16(o + 14, 0);
    if (!isObj(r.match)) throw new OfEncodeError('match missing', path);
    let p = eOxmList(dv, u8, o + 16, r.match.oxm_fields, `${path}.match`);
    dv.setUint16(o + 6, p - o - 16);
    while ((p - o) & 7) u8[p++] = 0;
    return p;
  },
};

const OFPOxmIdCodec: CustomCodec = {
  dec(dv, _u8, p, end) {
    if (p + 4 > end) throw fail('bad_length', 'OXM id needs 4 bytes', p);
    const hdr = dv.getUint32(p);
    const cls = hdr >>> 16;
    const r: OFPOxmId & { exp_id?: number } = {
      kind: 'OFPOxmId', type: oxmNameOf(cls, (hdr >>> 9) & 0x7f), hasmask: (hdr >>> 8) & 1, length: hdr & 0xff,
    };
    if (cls === OFPXMC.EXPERIMENTER) {
      if (p + 8 > end) throw fail('bad_length', 'experimenter OXM id needs 8 bytes', p);
      r.exp_id = dv.getUint32(p + 4);
      st.nx = p + 8;
    } else st.nx = p + 4;
    return r;
  },
  enc(dv, _u8, p, v, path) {
    if (!isObj(v) || typeof v.type !== 'string') throw new OfEncodeError('expected an OFPOxmId {type, hasmask, length}', path);
    const { hdr } = oxmHeaderOf(v.type, v.hasmask ? 1 : 0, typeof v.length === 'number' ? v.length & 0xff : 0, path);
    dv.setUint32(p, hdr);
    if (hdr >>> 16 === OFPXMC.EXPERIMENTER) {
      if (typeof v.exp_id !== 'number') throw new OfEncodeError('experimenter OXM id needs exp_id', path);
      dv.setUint32(p + 4, v.exp_id);
      return p + 8;
    }
    return p + 4;
  },
};

// ---- a bare 32-bit OXM/NXM header naming a field (NX reg_load/reg_move/stack/ct): "" for 0
const OxmHeader: CustomCodec = {
  dec(dv, _u8, p, end) {
    if (p + 4 > end) throw fail('bad_length', 'field header needs 4 bytes', p);
    const hdr = dv.getUint32(p);
    st.nx = p + 4;
    return hdr === 0 ? '' : oxmNameOf(hdr >>> 16, (hdr >>> 9) & 0x7f);
  },
  enc(dv, _u8, p, v, path) {
    if (typeof v !== 'string') throw new OfEncodeError('expected a field name', path);
    if (v === '') dv.setUint32(p, 0);
    else { const d = oxmDescByName(v); dv.setUint32(p, oxmHeaderOf(v, 0, d ? d.size : 0, path).hdr); }
    return p + 4;
  },
};

// ---- NX dec_ttl_cnt_ids: u16 count, 4 pad, count × u16 controller ids
const CntIds: CustomCodec = {
  dec(dv, _u8, p, end) {
    if (p + 6 > end) throw fail('bad_length', 'dec_ttl_cnt_ids needs 6 bytes', p);
    const n = dv.getUint16(p);
    if (p + 6 + 2 * n > end) throw fail('bad_length', `dec_ttl_cnt_ids count ${n} runs past the action`, p);
    const ids: number[] = [];
    for (let i = 0; i < n; i++) ids.push(dv.getUint16(p + 6 + 2 * i));
    st.nx = p + 6 + 2 * n;
    return ids;
  },
  enc(dv, _u8, p, v, path) {
    if (!Array.isArray(v) || v.length > 0xffff || v.some((x) => typeof x !== 'number' || (x & 0xffff) !== x)) {
      throw new OfEncodeError('expected a list of u16 controller ids', path);
    }
    dv.setUint16(p, v.length);
    dv.setUint32(p + 2, 0);
    (v as number[]).forEach((x, i) => dv.setUint16(p + 6 + 2 * i, x));
    return p + 6 + 2 * v.length;
  },
};

// ---- NX nat (inside ct): flags, range_present bits, then only the present range fields, padded to 8
const NAT_KEYS = [['range_ipv4_min', 4], ['range_ipv4_max', 4], ['range_ipv6_min', 16], ['range_ipv6_max', 16],
  ['range_proto_min', 2], ['range_proto_max', 2]] as const;
const NXActionNAT: CustomCodec = {
  kind: 'NXActionNAT',
  dec(dv, u8, o, end) {
    if (o + 16 > end) throw fail('bad_length', `NXActionNAT needs 16 bytes, ${end - o} left`, o);
    const len = dv.getUint16(o + 2);
    if (len < 16 || (len & 7) || o + len > end) throw fail('bad_length', `NXActionNAT length ${len} is invalid here`, o + 2);
    const present = dv.getUint16(o + 14);
    const r: Record<string, unknown> = { kind: 'NXActionNAT', type: dv.getUint16(o), len, experimenter: dv.getUint32(o + 4),
      subtype: dv.getUint16(o + 8), flags: dv.getUint16(o + 12) };
    let p = o + 16;
    NAT_KEYS.forEach(([k, n], i) => {
      const on = (present >> i) & 1;
      if (on && p + n > o + len) throw fail('bad_length', `NXActionNAT ${k} runs past the action`, p);
      r[k] = !on ? (n === 2 ? null : '') : n === 4 ? ipv4ToString(u8, p) : n === 16 ? ipv6ToString(dv, p) : dv.getUint16(p);
      if (on) p += n;
    });
    st.nx = o + len;
    return r;
  },
  enc(dv, u8, o, v, path) {
    if (!isObj(v)) throw new OfEncodeError('expected an NXActionNAT', path);
    const flags = v.flags;
    if (typeof flags !== 'number' || (flags & 0xffff) !== flags) throw new OfEncodeError('flags must be a u16', `${path}.flags`);
    dv.setUint16(o, 0xffff); dv.setUint32(o + 4, NX_EXPERIMENTER_ID); dv.setUint16(o + 8, 36); dv.setUint16(o + 10, 0);
    dv.setUint16(o + 12, flags);
    let p = o + 16, present = 0;
    NAT_KEYS.forEach(([k, n], i) => {
      const x = v[k];
      if (x === undefined || x === null || x === '') return;
      present |= 1 << i;
      if (n === 4) writeIpv4(dv, p, x, `${path}.${k}`);
      else if (n === 16) writeIpv6(dv, p, x, `${path}.${k}`);
      else if (typeof x !== 'number' || (x & 0xffff) !== x) throw new OfEncodeError('expected a u16', `${path}.${k}`);
      else dv.setUint16(p, x);
      p += n;
    });
    dv.setUint16(o + 14, present);
    while ((p - o) & 7) u8[p++] = 0;
    dv.setUint16(o + 2, p - o);
    return p;
  },
};

// ---- NX controller2: 6 pad, then properties {type u16, len u16 (excl. padding), value} padded to 8
const C2_PROPS = ['max_len', 'controller_id', 'reason', 'userdata', 'pause'] as const;
const NXActionController2: CustomCodec = {
  kind: 'NXActionController2',
  dec(dv, u8, o, end) {
    if (o + 16 > end) throw fail('bad_length', `NXActionController2 needs 16 bytes, ${end - o} left`, o);
    const len = dv.getUint16(o + 2);
    if (len < 16 || (len & 7) || o + len > end) throw fail('bad_length', `NXActionController2 length ${len} is invalid here`, o + 2);
    const r: Record<string, unknown> = { kind: 'NXActionController2', type: dv.getUint16(o), len,
      experimenter: dv.getUint32(o + 4), subtype: dv.getUint16(o + 8) };
    const e = o + len;
    let p = o + 16;
    while (p < e) {
      if (p + 4 > e) throw fail('bad_length', 'controller2 property header runs past the action', p);
      const t = dv.getUint16(p), l = dv.getUint16(p + 2);
      const next = p + ((l + 7) & ~7);
      if (l < 4 || next > e) throw fail('bad_length', `controller2 property length ${l} is invalid`, p + 2);
      const need = [8, 8, 5, 4, 4][t];
      if (need === undefined || l < need) throw fail('bad_value', `controller2 property type ${t} (length ${l}) is not supported`, p);
      if (t === 0) r.max_len = dv.getUint16(p + 4);
      else if (t === 1) r.controller_id = dv.getUint16(p + 4);
      else if (t === 2) r.reason = dv.getUint8(p + 4);
      else if (t === 3) r.userdata = Array.from(u8.subarray(p + 4, p + l));
      else r.pause = true;
      p = next;
    }
    st.nx = e;
    return r;
  },
  enc(dv, u8, o, v, path) {
    if (!isObj(v)) throw new OfEncodeError('expected an NXActionController2', path);
    dv.setUint16(o, 0xffff); dv.setUint32(o + 4, NX_EXPERIMENTER_ID); dv.setUint16(o + 8, 37);
    dv.setUint32(o + 10, 0); dv.setUint16(o + 14, 0);
    let p = o + 16;
    C2_PROPS.forEach((k, t) => {
      const x = v[k];
      if (x === undefined || x === null || (k === 'pause' && x === false)) return;
      const start = p;
      dv.setUint16(p, t);
      p += 4;
      if (k === 'userdata') {
        if (!Array.isArray(x) || x.some((b) => typeof b !== 'number' || (b & 255) !== b)) throw new OfEncodeError('userdata must be a list of bytes', `${path}.userdata`);
        u8.set(x as number[], p);
        p += x.length;
      } else if (k === 'reason') {
        if (typeof x !== 'number' || (x & 255) !== x) throw new OfEncodeError('expected a u8', `${path}.reason`);
        dv.setUint8(p++, x);
      } else if (k !== 'pause') {
        if (typeof x !== 'number' || (x & 0xffff) !== x) throw new OfEncodeError('expected a u16', `${path}.${k}`);
        dv.setUint16(p, x); // "!H2x": the property length (8) includes 2 pad bytes
        dv.setUint16(p + 2, 0);
        p += 4;
      }
      dv.setUint16(start + 2, p - start);
      while ((p - start) & 7) u8[p++] = 0;
    });
    dv.setUint16(o + 2, p - o);
    return p;
  },
};

export const customs: Record<string, CustomCodec> = {
  NXActionController2, NXActionNAT, OxmHeader, CntIds, Oxm, OxmList, VersionBitmap, LearnSpecs, ONFFlowMonitorRequest: ONFFlowMonitorRequestCodec, OFPOxmId: OFPOxmIdCodec,
};
