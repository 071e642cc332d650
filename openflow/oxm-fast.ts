// The hot OXM path, generated from the same field table (oxm.ts) at load time: one switch on the 24-bit
// class|field|hasmask key (decode) and one on the field name (encode), each case reading/writing its value inline.
// Experimenter and unknown fields, and any length anomaly, fall back to the generic codec in oxm.ts.
import type { OxmTlv } from './types.js';
import { OfEncodeError } from './errors.js';
import { fail, st } from './runtime.js';
import { OXM_FIELDS, dOxmGeneric, eOxmGeneric, toBig, type OxmType } from './oxm.js';
import { OFPXMC } from './constants.js';
import { ipv4ToString, ipv6ToString, macInto, macToString, parseIpv4, writeIpv6 } from './addr.js';

const SIZE_OF: Record<OxmType, number> = { u8: 1, u16: 2, u24: 3, u32: 4, u64: 8, u128: 16, mac: 6, ipv4: 4, ipv6: 16 };

type DecOxm = (dv: DataView, u8: Uint8Array, p: number, le: number) => OxmTlv;
type EncOxm = (dv: DataView, u8: Uint8Array, p: number, t: OxmTlv, path: string) => number;

function readExpr(type: OxmType, pos: string): string {
  switch (type) {
    case 'u8': return `u8[${pos}]`;
    case 'u16': return `(u8[${pos}]<<8|u8[${pos}+1])`;
    case 'u24': return `(u8[${pos}]<<16|u8[${pos}+1]<<8|u8[${pos}+2])`;
    case 'u32': return `dv.getUint32(${pos})`;
    case 'u64': return `((dv.getInt32(${pos})|dv.getInt32(${pos}+4))===0?0n:dv.getBigUint64(${pos}))`;
    case 'u128': return `(dv.getBigUint64(${pos})<<64n|dv.getBigUint64(${pos}+8))`;
    case 'mac': return `MAC(u8,${pos})`;
    case 'ipv4': return `IP4(u8,${pos})`;
    default: return `IP6(dv,${pos})`;
  }
}
/** Statement writing `val` (the value, or the mask when `isMask`) of type `type` at `pos`. The field name is the
 *  runtime `f` (shared code for every field of the type); it is only turned into a path on the error paths. */
function writeStmt(type: OxmType, pos: string, val: string, isMask: boolean): string {
  const nm = isMask ? `f+'.mask'` : 'f';
  const chk = (mask: string): string => `if(typeof ${val}!=='number'||(${val}${mask})!==${val})BAD(path,${nm},${val},${JSON.stringify(type)});`;
  switch (type) {
    case 'u8': return `${chk('&255')}u8[${pos}]=${val};`;
    case 'u16': return `${chk('&65535')}dv.setUint16(${pos},${val});`;
    case 'u24': return `${chk('&16777215')}dv.setUint16(${pos},${val}>>>8);u8[${pos}+2]=${val}&255;`;
    case 'u32': return `${chk('>>>0')}dv.setUint32(${pos},${val});`;
    case 'u64': return `dv.setBigUint64(${pos},typeof ${val}==='bigint'&&BigInt.asUintN(64,${val})===${val}?${val}:BIG(${val},64,path+'.'+${nm}));`;
    case 'u128': return `{const b=BIG(${val},128,path+'.'+${nm});dv.setBigUint64(${pos},b>>64n);dv.setBigUint64(${pos}+8,b&0xffffffffffffffffn);}`;
    case 'mac': return `if(!PMAC(u8,${pos},${val}))BADTXT(path,${nm},${val},'MAC');`;
    case 'ipv4': return `{const a=typeof ${val}==='string'?PIP4(${val}):-1;if(a<0)BADTXT(path,${nm},${val},'IPv4');dv.setUint32(${pos},a);}`;
    default: return `WIP6(dv,${pos},${val},path,${nm});`;
  }
}

// The hot path is compact on purpose: one dispatch from the field to (header, value type), then ONE copy of the
// code per value type (9), shared by every field of that type. The first version had a case per field with its
// reader/writer (and the address text parsers) inlined into each: 25 KB of machine code for eOxm and 9 KB for dOxm,
// of which a flow_mod touches scattered pieces; encode and decode in one loop then paid for the instruction-cache /
// branch-predictor footprint of both (see README "Performance").
const TYPES: OxmType[] = ['u8', 'u16', 'u24', 'u32', 'u64', 'u128', 'mac', 'ipv4', 'ipv6'];

function build(): { dOxm: DecOxm; eOxm: EncOxm } {
  const fast = OXM_FIELDS.filter((d) => d.exp === undefined);
  // decode: OpenFlow-basic fields by table (field number → name, type code), other classes by one switch
  const ofbName: Array<string | null> = new Array<string | null>(128).fill(null);
  const ofbType = new Int8Array(128).fill(-1);
  let other = '';
  for (const d of fast) {
    if (d.cls === OFPXMC.OPENFLOW_BASIC) { ofbName[d.field] = d.name; ofbType[d.field] = d.tc; }
    else other += `case ${(d.cls << 7) | d.field}:name=${JSON.stringify(d.name)};tc=${d.tc};break;`;
  }
  let dcases = '';
  TYPES.forEach((ty, tc) => {
    const sz = SIZE_OF[ty];
    dcases += `case ${tc}:if(n!==(hm?${2 * sz}:${sz}))break;return{field:name,value:${readExpr(ty, 'p+4')},mask:hm?${readExpr(ty, `p+${4 + sz}`)}:null};`;
  });
  const dec = `return function dOxm(dv,u8,p,le){
if(p+4>le)throw F('bad_length','OXM header needs 4 bytes, '+(le-p)+' left',p);
const hdr=dv.getUint32(p),n=hdr&255;
if(p+4+n>le)throw F('bad_length','OXM length '+n+' runs past its container',p);
const cls=hdr>>>16,fld=(hdr>>>9)&127,hm=hdr&256;
let name,tc;
if(cls===${OFPXMC.OPENFLOW_BASIC}){tc=OFB_T[fld];if(tc<0)return GEN(dv,u8,p,le);name=OFB_N[fld];}
else switch((cls<<7)|fld){${other}default:return GEN(dv,u8,p,le);}
switch(tc){${dcases}}
return GEN(dv,u8,p,le);}`;
  // encode: the field name → (header without mask bit and length, type code), then one writer per type
  let names = '';
  for (const d of fast) names += `case ${JSON.stringify(d.name)}:h=${d.hdr};tc=${d.tc};break;`;
  let plain = '', masked = '';
  TYPES.forEach((ty, tc) => {
    const sz = SIZE_OF[ty];
    plain += `case ${tc}:dv.setInt32(p,h|${sz});${writeStmt(ty, 'p+4', 'v', false)}return p+${4 + sz};`;
    masked += `case ${tc}:dv.setInt32(p,h|${0x100 | (2 * sz)});${writeStmt(ty, 'p+4', 'v', false)}${writeStmt(ty, `p+${4 + sz}`, 'm', true)}return p+${4 + 2 * sz};`;
  });
  const enc = `return function eOxm(dv,u8,p,t,path){
if(t===null||typeof t!=='object')throw new ENCERR('expected an OXM {field, value, mask?}',path);
const f=t.field;
let h,tc;
switch(f){${names}default:return EGEN(dv,u8,p,t,path);}
const v=t.value,m=t.mask;
if(m===undefined||m===null){switch(tc){${plain}}}
else switch(tc){${masked}}
return EGEN(dv,u8,p,t,path);}`;
  const BAD = (path: string, name: string, v: unknown, type: string): never => {
    throw new OfEncodeError(`expected ${type} (an integer), got ${typeof v === 'bigint' ? `${v}n` : String(v)}`, `${path}.${name}`);
  };
  const BADTXT = (path: string, name: string, v: unknown, what: string): never => {
    throw new OfEncodeError(`not a${what === 'IPv4' ? 'n' : ''} ${what} address: ${String(v)}`, `${path}.${name}`);
  };
  const env = { F: fail, GEN: dOxmGeneric, EGEN: eOxmGeneric, MAC: macToString, IP4: ipv4ToString, IP6: ipv6ToString,
    PMAC: macInto, PIP4: parseIpv4, WIP6: writeIpv6, BIG: toBig, BAD, BADTXT, ENCERR: OfEncodeError, OFB_N: ofbName, OFB_T: ofbType };
  const names2 = Object.keys(env);
  const vals = Object.values(env);
  const dOxm = new Function(...names2, dec)(...vals) as DecOxm;
  const eOxm = new Function(...names2, enc)(...vals) as EncOxm;
  return { dOxm, eOxm };
}

const built = build();
const ST = st;
/** Decodes one OXM TLV at p (bounded by le); st.nx = offset after it. */
export const dOxm: DecOxm = (dv, u8, p, le) => { const r = built.dOxm(dv, u8, p, le); ST.nx = p + 4 + (u8[p + 3]!); return r; };
/** Encodes one OXM TLV at p; returns the offset after it. */
export const eOxm: EncOxm = built.eOxm;

const decOne = built.dOxm;
/** Decodes the OXM TLVs in [p, le). The array is built as a literal of exactly its size for up to 6 fields (one
 *  allocation, packed, no growth), longer lists continue with push. */
export function dOxmList(dv: DataView, u8: Uint8Array, p: number, le: number): OxmTlv[] {
  let a: OxmTlv | undefined, b: OxmTlv | undefined, c: OxmTlv | undefined, d: OxmTlv | undefined, e: OxmTlv | undefined;
  let f: OxmTlv | undefined, n = 0, more: OxmTlv[] | null = null;
  while (p < le) {
    const x = decOne(dv, u8, p, le);
    p += 4 + u8[p + 3]!; // decOne validated that the TLV fits
    switch (n++) {
      case 0: a = x; break;
      case 1: b = x; break;
      case 2: c = x; break;
      case 3: d = x; break;
      case 4: e = x; break;
      case 5: f = x; break;
      case 6: more = [a!, b!, c!, d!, e!, f!, x]; break;
      default: more!.push(x);
    }
  }
  ST.nx = p;
  switch (n) {
    case 0: return [];
    case 1: return [a!];
    case 2: return [a!, b!];
    case 3: return [a!, b!, c!];
    case 4: return [a!, b!, c!, d!];
    case 5: return [a!, b!, c!, d!, e!];
    case 6: return [a!, b!, c!, d!, e!, f!];
    default: return more!;
  }
}
const encOne = built.eOxm;
export function eOxmList(dv: DataView, u8: Uint8Array, p: number, list: OxmTlv[], path: string): number {
  if (!Array.isArray(list)) throw new OfEncodeError('expected a list of OXM TLVs', path);
  for (let i = 0; i < list.length; i++) p = encOne(dv, u8, p, list[i]!, path);
  return p;
}
