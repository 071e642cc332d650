// The hot OXM path, generated from the same field table (oxm.ts) at load time: one switch on the 24-bit
// class|field|hasmask key (decode) and one on the field name (encode), each case reading/writing its value inline.
// Experimenter and unknown fields, and any length anomaly, fall back to the generic codec in oxm.ts.
import type { OxmTlv } from './types.js';
import { OfEncodeError } from './errors.js';
import { fail, st } from './runtime.js';
import { OXM_FIELDS, dOxmGeneric, eOxmGeneric, toBig, type OxmDesc } from './oxm.js';
import { ipv4ToString, ipv6ToString, macToString, writeIpv4, writeIpv6, writeMac } from './addr.js';

type DecOxm = (dv: DataView, u8: Uint8Array, p: number, le: number) => OxmTlv;
type EncOxm = (dv: DataView, u8: Uint8Array, p: number, t: OxmTlv, path: string) => number;

function readExpr(d: OxmDesc, pos: string): string {
  switch (d.type) {
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
function writeStmt(d: OxmDesc, pos: string, val: string, isMask: boolean): string {
  const p = JSON.stringify(d.name + (isMask ? '.mask' : ''));
  const chk = (mask: string): string => `if(typeof ${val}!=='number'||(${val}${mask})!==${val})BAD(path,${p},${val},${JSON.stringify(d.type)});`;
  switch (d.type) {
    case 'u8': return `${chk('&255')}u8[${pos}]=${val};`;
    case 'u16': return `${chk('&65535')}dv.setUint16(${pos},${val});`;
    case 'u24': return `${chk('&16777215')}dv.setUint16(${pos},${val}>>>8);u8[${pos}+2]=${val}&255;`;
    case 'u32': return `${chk('>>>0')}dv.setUint32(${pos},${val});`;
    case 'u64': return `dv.setBigUint64(${pos},typeof ${val}==='bigint'&&BigInt.asUintN(64,${val})===${val}?${val}:BIG(${val},64,path+'.'+${p}));`;
    case 'u128': return `{const b=BIG(${val},128,path+'.'+${p});dv.setBigUint64(${pos},b>>64n);dv.setBigUint64(${pos}+8,b&0xffffffffffffffffn);}`;
    case 'mac': return `WMAC(u8,${pos},${val},path,${p});`;
    case 'ipv4': return `WIP4(dv,${pos},${val},path,${p});`;
    default: return `WIP6(dv,${pos},${val},path,${p});`;
  }
}

function build(): { dOxm: DecOxm; eOxm: EncOxm } {
  const fast = OXM_FIELDS.filter((d) => d.exp === undefined);
  let dcases = '';
  for (const d of fast) {
    const key = (d.cls << 8) | (d.field << 1);
    dcases += `case ${key}:if(e-p!==${4 + d.size})break;return{field:${JSON.stringify(d.name)},value:${readExpr(d, 'p+4')},mask:null};`;
    dcases += `case ${key | 1}:if(e-p!==${4 + 2 * d.size})break;return{field:${JSON.stringify(d.name)},value:${readExpr(d, 'p+4')},mask:${readExpr(d, `p+${4 + d.size}`)}};`;
  }
  const dec = `return function dOxm(dv,u8,p,le){
if(p+4>le)throw F('bad_length','OXM header needs 4 bytes, '+(le-p)+' left',p);
const hdr=dv.getUint32(p),e=p+4+(hdr&255);
if(e>le)throw F('bad_length','OXM length '+(hdr&255)+' runs past its container',p);
switch(hdr>>>8){${dcases}}
return GEN(dv,u8,p,le);}`;
  let ecases = '';
  fast.forEach((d) => {
    const h = (d.cls << 16) | (d.field << 9);
    ecases += `case ${JSON.stringify(d.name)}:if(m===undefined||m===null){dv.setInt32(p,${h | d.size});${writeStmt(d, 'p+4', 'v', false)}return p+${4 + d.size};}`
      + `dv.setInt32(p,${h | 0x100 | (2 * d.size)});${writeStmt(d, 'p+4', 'v', false)}${writeStmt(d, `p+${4 + d.size}`, 'm', true)}return p+${4 + 2 * d.size};`;
  });
  const enc = `return function eOxm(dv,u8,p,t,path){
if(t===null||typeof t!=='object')throw new ENCERR('expected an OXM {field, value, mask?}',path);
const v=t.value,m=t.mask;
switch(t.field){${ecases}}
return EGEN(dv,u8,p,t,path);}`;
  const BAD = (path: string, name: string, v: unknown, type: string): never => {
    throw new OfEncodeError(`expected ${type} (an integer), got ${typeof v === 'bigint' ? `${v}n` : String(v)}`, `${path}.${name}`);
  };
  const env = { F: fail, GEN: dOxmGeneric, EGEN: eOxmGeneric, MAC: macToString, IP4: ipv4ToString, IP6: ipv6ToString,
    WMAC: writeMac, WIP4: writeIpv4, WIP6: writeIpv6, BIG: toBig, BAD, ENCERR: OfEncodeError };
  const names = Object.keys(env);
  const vals = Object.values(env);
  const dOxm = new Function(...names, dec)(...vals) as DecOxm;
  const eOxm = new Function(...names, enc)(...vals) as EncOxm;
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
