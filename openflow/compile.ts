// Compiles the descriptions of schema.ts into one JS module of straight-line decoders/encoders (new Function,
// once at load). Decoders: d_<id>(dv, u8, o, end) → object, leaving the next offset in st.nx; they throw a
// DecodeFail (caught by decodeMessage). Encoders: e_<id>(dv, u8, p, value, path) → offset after the item;
// they compute every length/padding and throw OfEncodeError on bad values.
import type { Field, FamilySpec, StructSpec } from './schema.js';

export type DecFn = (dv: DataView, u8: Uint8Array, o: number, end: number) => unknown;
export type EncFn = (dv: DataView, u8: Uint8Array, p: number, v: unknown, path: string) => number;
/** A hand-written codec; with `kind` it can also be a whole member of a family (decoded object's kind). */
export interface CustomCodec { dec: DecFn; enc: EncFn; kind?: string }

const GET = { 1: 'getUint8', 2: 'getUint16', 4: 'getUint32', 8: 'getBigUint64' } as const;
const SET = { 1: 'setUint8', 2: 'setUint16', 4: 'setUint32', 8: 'setBigUint64' } as const;
const MAXV = { 1: 255, 2: 0xffff, 4: 0xffffffff } as const;

function fixedSize(f: Field): number {
  switch (f.k) {
    case 'int': return f.w;
    case 'pad': return f.n;
    case 'mac': return 6;
    case 'ipv4': return 4;
    case 'str': return f.n;
    case 'u32arr': return 4 * f.n;
    case 'emit': return 0;
    default: return -1;
  }
}
const isVar = (f: Field): boolean => fixedSize(f) < 0;
const q = (s: string): string => JSON.stringify(s);

function intCheck(w: 1 | 2 | 4 | 8, path: string): string {
  if (w === 8) return `if(typeof t!=='bigint')t=Hbig(t,${q(path)});else if(BigInt.asUintN(64,t)!==t)Hbad(${q(path)},t,'u64');`;
  if (w === 4) return `if((t>>>0)!==t)Hbad(${q(path)},t,'u32');`;
  return `if((t&${MAXV[w]})!==t)Hbad(${q(path)},t,'u${w * 8}');`;
}

function zeroFill(pos: string, n: number): string {
  let s = '';
  let k = 0;
  while (n - k >= 4) { s += `dv.setUint32(${pos}+${k},0);`; k += 4; }
  if (n - k >= 2) { s += `dv.setUint16(${pos}+${k},0);`; k += 2; }
  if (n - k >= 1) { s += `dv.setUint8(${pos}+${k},0);`; k += 1; }
  return s;
}

/** Decodes list items while p < le into `const v`: the first 4 items are kept in locals and the array is built as a
 *  literal of exactly that size (one allocation, packed, no growth); longer lists continue with push. */
export function collectList(v: string, item: string, le: string): string {
  return `let ${v}a,${v}b,${v}c,${v}d,${v}n=0,${v}x=null;`
    + `while(p<${le}){const x=${item};p=st.nx;switch(${v}n){case 0:${v}a=x;break;case 1:${v}b=x;break;case 2:${v}c=x;break;`
    + `case 3:${v}d=x;break;case 4:${v}x=[${v}a,${v}b,${v}c,${v}d,x];break;default:${v}x.push(x);}${v}n++;}`
    + `const ${v}=${v}n===0?[]:${v}n===1?[${v}a]:${v}n===2?[${v}a,${v}b]:${v}n===3?[${v}a,${v}b,${v}c]:${v}n===4?[${v}a,${v}b,${v}c,${v}d]:${v}x;`;
}

function genDecoder(s: StructSpec): string {
  const extent = s.extent ?? 'fixed';
  const F = s.fields;
  const min = F.reduce((a, f) => a + Math.max(0, fixedSize(f)), 0);
  const hasVar = F.some(isVar);
  if (extent === 'fixed' && hasVar) throw new Error(`${s.id}: variable fields need extent self|rest`);
  const K = s.kind;
  const L: string[] = [`function d_${s.id}(dv,u8,o,end){`];
  if (extent === 'fixed') {
    L.push(`if(o+${min}>end)throw F('bad_length',${q(`${K} needs ${min} bytes, `)}+(end-o)+' left',o);const ce=o+${min},xe=ce;`);
  } else if (extent === 'rest') {
    L.push(`if(o+${min}>end)throw F('bad_length',${q(`${K} needs at least ${min} bytes, `)}+(end-o)+' left',o);const ce=end,xe=end;`);
  } else {
    let off = 0;
    let lf: Extract<Field, { k: 'int' }> | undefined;
    for (const f of F) {
      if (isVar(f)) break;
      if (f.k === 'int' && f.self) { lf = f; break; }
      off += fixedSize(f);
    }
    if (!lf) throw new Error(`${s.id}: extent self needs a self length field in the fixed prefix`);
    L.push(`if(o+${min}>end)throw F('bad_length',${q(`${K} needs at least ${min} bytes, `)}+(end-o)+' left',o);`);
    L.push(`const len=dv.${GET[lf.w]}(o+${off});if(len<${min})throw F('bad_length',${q(`${K} length `)}+len+${q(` is less than ${min}`)},o+${off});`);
    if (s.padIncl) L.push(`if(len&7)throw F('bad_length',${q(`${K} length `)}+len+' is not a multiple of 8',o+${off});`);
    if (!hasVar) L.push(`if(len!==${min})throw F('bad_length',${q(`${K} length `)}+len+${q(`, expected ${min}`)},o+${off});`);
    L.push(`const ce=o+len,xe=${s.pad8 ? 'o+((len+7)&~7)' : 'ce'};if(xe>end)throw F('bad_length',${q(`${K} length `)}+len+' runs past its container ('+(end-o)+' bytes left)',o+${off});`);
  }
  let base = 'o';
  let k = 0;
  let pDeclared = false;
  const props: string[] = [`kind:${q(K)}`];
  const omit: string[] = [];
  const lenVars: Record<string, string> = {};
  F.forEach((f, i) => {
    const pos = base === 'o' ? `o+${k}` : k ? `p+${k}` : 'p';
    const v = `_${i}`;
    switch (f.k) {
      case 'int': {
        if (f.self) { if (!f.hidden) props.push(`${f.name}:len`); k += f.w; return; }
        if (f.hidden && !f.expect && !f.lenOf) { k += f.w; return; }
        // 64-bit: a zero value (cookie_mask, most counters) is the shared 0n constant, no BigInt allocated
        L.push(f.w === 8 ? `const ${v}=(dv.getInt32(${pos})|dv.getInt32(${pos}+4))===0?0n:dv.getBigUint64(${pos});`
          : `const ${v}=dv.${GET[f.w]}(${pos});`);
        if (f.expect) L.push(`if(${v}!==${f.value})throw F(${q(f.expect)},${q(`${K}.${f.name} is `)}+${v}+${q(`, expected ${f.value}`)},${pos});`);
        if (f.lenOf) lenVars[f.lenOf] = v;
        if (!f.hidden) props.push(`${f.name}:${v}`);
        k += f.w;
        return;
      }
      case 'pad': k += f.n; return;
      case 'mac': L.push(`const ${v}=Hmac(u8,${pos});`); break;
      case 'ipv4': L.push(`const ${v}=Hipv4(u8,${pos});`); break;
      case 'str': L.push(`const ${v}=Hstr(u8,${pos},${f.n});`); break;
      case 'u32arr': L.push(`const ${v}=[${Array.from({ length: f.n }, (_, j) => `dv.getUint32(${pos}+${4 * j})`).join(',')}];`); break;
      case 'emit': props.push(`${f.name}:${f.json}`); return;
      default: {
        // variable-length field: materialise p
        if (base === 'o') { L.push(`${pDeclared ? '' : 'let '}p=${pos};`); pDeclared = true; } else if (k) L.push(`p+=${k};`);
        base = 'p'; k = 0;
        let le = 'ce';
        if ((f.k === 'list' || f.k === 'custom') && f.lenFrom) {
          const lv = lenVars[f.name];
          if (!lv) throw new Error(`${s.id}.${f.name}: lenFrom field must come first`);
          le = `le${i}`;
          L.push(`const ${le}=p+${lv};if(${le}>ce)throw F('bad_length',${q(`${K}.${f.lenFrom} `)}+${lv}+' runs past the structure',p);`);
        }
        if (f.k === 'bytes') {
          const fn = f.as === 'u8list' ? 'Hu8list(u8' : f.as === 'u32list' ? 'Hu32list(dv' : 'Hbytes(u8';
          L.push(`const ${v}=${fn},p,${le});p=${le};`);
        } else if (f.k === 'list') {
          L.push(collectList(v, `d_${f.ref}(dv,u8,p,${le})`, le));
        } else if (f.k === 'one' || f.k === 'custom') {
          L.push(`const ${v}=d_${f.ref}(dv,u8,p,${le});p=st.nx;`);
        }
        // bounds of the fixed fields that follow
        let after = 0;
        for (let j = i + 1; j < F.length && !isVar(F[j]!); j++) after += fixedSize(F[j]!);
        if (after > 0) L.push(`if(p+${after}>ce)throw F('bad_length',${q(`${K}: fields after ${f.name} run past the structure`)},p);`);
        if (f.k === 'bytes' && f.omitEmpty) { omit.push(`if(${v}.length)r.${f.name}=${v};`); return; }
        props.push(`${f.name}:${v}`);
        return;
      }
    }
    props.push(`${f.name}:${v}`);
    k += fixedSize(f);
  });
  if (omit.length) L.push(`const r={${props.join(',')}};${omit.join('')}st.nx=xe;return r;}`);
  else L.push(`st.nx=xe;return{${props.join(',')}};}`);
  return L.join('\n');
}

function genEncoder(s: StructSpec): string {
  const extent = s.extent ?? 'fixed';
  const K = s.kind;
  const L: string[] = [`function e_${s.id}(dv,u8,o,v,path){let t,p;`];
  let base = 'o';
  let k = 0;
  let selfPos: { pos: string; w: 1 | 2 | 4 | 8 } | undefined;
  const lenPos: Record<string, { pos: string; w: 1 | 2 | 4 | 8 }> = {};
  s.fields.forEach((f, i) => {
    const pos = base === 'o' ? `o+${k}` : k ? `p+${k}` : 'p';
    const path = `${K}.${'name' in f ? f.name : ''}`;
    switch (f.k) {
      case 'int':
        if (f.self) { selfPos = { pos, w: f.w }; }
        else if (f.lenOf) { L.push(`const lp${i}=${pos};`); lenPos[f.lenOf] = { pos: `lp${i}`, w: f.w }; }
        else if (f.value !== undefined) L.push(`dv.${SET[f.w]}(${pos},${f.value});`);
        else {
          const d = f.dflt !== undefined ? `if(t===undefined)t=${f.dflt};` : '';
          // 64-bit: 0n (cookie_mask, most cookies) is written as two zero words, skipping the BigInt builtins
          L.push(f.w === 8 ? `t=v.${f.name};${d}if(t===0n){dv.setUint32(${pos},0);dv.setUint32(${pos}+4,0);}else{${intCheck(8, path)}dv.setBigUint64(${pos},t);}`
            : `t=v.${f.name};${d}${intCheck(f.w, path)}dv.${SET[f.w]}(${pos},t);`);
        }
        k += f.w;
        return;
      case 'pad': L.push(zeroFill(pos, f.n)); k += f.n; return;
      case 'mac': L.push(`Hwmac(u8,${pos},v.${f.name},${q(path)});`); k += 6; return;
      case 'ipv4': L.push(`Hwipv4(dv,${pos},v.${f.name},${q(path)});`); k += 4; return;
      case 'str': L.push(`Hwstr(u8,${pos},${f.n},v.${f.name},${q(path)});`); k += f.n; return;
      case 'u32arr': L.push(`Hwu32arr(dv,${pos},${f.n},v.${f.name},${q(path)});`); k += 4 * f.n; return;
      case 'emit': return;
      default: {
        L.push(`p=${pos};`);
        base = 'p'; k = 0;
        const lp = lenPos[f.name];
        if (lp) L.push(`const ls${i}=p;`);
        if (f.k === 'bytes') {
          const fn = f.as === 'u8list' ? 'Hwu8list(u8' : f.as === 'u32list' ? 'Hwu32list(dv' : 'Hwbytes(u8';
          L.push(`p=${fn},p,v.${f.name},${q(path)},${f.omitEmpty ? 1 : 0});`);
        } else if (f.k === 'list') {
          L.push(`const a${i}=v.${f.name};if(!Array.isArray(a${i}))Hbad(${q(path)},a${i},'a list');for(let i=0;i<a${i}.length;i++)p=e_${f.ref}(dv,u8,p,a${i}[i],${q(path)});`);
        } else {
          L.push(`p=e_${f.ref}(dv,u8,p,v.${f.name},${q(path)});`);
        }
        if (lp) {
          const max = lp.w === 8 ? 0xffff : MAXV[lp.w];
          L.push(`t=p-ls${i};if(t>${max})Hbad(${q(path)},t,'a length ≤ ${max}');dv.${SET[lp.w]}(${lp.pos},t);`);
        }
      }
    }
  });
  const endExpr = base === 'o' ? `o+${k}` : k ? `p+${k}` : 'p';
  if (extent === 'self') {
    const sp = selfPos!;
    const max = sp.w === 8 ? 0xffff : MAXV[sp.w];
    L.push(`p=${endExpr};`);
    const padLoop = 't=(p-o)&7;if(t){for(;t<8;t++)u8[p++]=0;}';
    if (s.padIncl) L.push(padLoop);
    L.push(`t=p-o;if(t>${max})Hbad(${q(K)},t,'a structure of at most ${max} bytes');dv.${SET[sp.w]}(${sp.pos},t);`);
    if (s.pad8) L.push(padLoop);
    L.push('return p;}');
  } else L.push(`return ${endExpr};}`);
  return L.join('\n');
}

function genFamily(fam: FamilySpec, structs: Map<string, StructSpec>, families: Map<string, FamilySpec>,
  customs: Record<string, CustomCodec>): string {
  const get = `dv.${GET[fam.w]}(o+${fam.at})`;
  const cases = Object.entries(fam.cases).map(([val, ref]) => `case ${val}:return d_${ref}(dv,u8,o,end);`).join('');
  const dflt = fam.fallback
    ? `default:return d_${fam.fallback}(dv,u8,o,end);`
    : `default:throw F(${q(fam.errCode ?? 'bad_type')},${q(`unknown ${fam.what} `)}+${get},o+${fam.at});`;
  const dec = `function d_${fam.id}(dv,u8,o,end){if(o+${fam.at + fam.w}>end)throw F('bad_length',${q(`${fam.what} needs ${fam.at + fam.w} bytes, `)}+(end-o)+' left',o);switch(${get}){${cases}${dflt}}}`;
  // encode: switch on kind over every leaf description reachable from the family
  const leaves: StructSpec[] = [];
  const seen = new Set<string>();
  const walk = (ref: string): void => {
    if (seen.has(ref)) return;
    seen.add(ref);
    const sub = families.get(ref);
    if (sub) { Object.values(sub.cases).forEach(walk); if (sub.fallback) walk(sub.fallback); return; }
    const st = structs.get(ref);
    if (st) leaves.push(st);
    const cu = customs[ref];
    if (cu?.kind) leaves.push({ id: ref, kind: cu.kind, fields: [] });
  };
  Object.values(fam.cases).forEach(walk);
  if (fam.fallback) walk(fam.fallback);
  const byKind = new Map<string, StructSpec[]>();
  for (const l of leaves) byKind.set(l.kind, [...(byKind.get(l.kind) ?? []), l]);
  let ecases = '';
  for (const [kind, list] of byKind) {
    const sorted = [...list].sort((a, b) => (a.encodeWhen ? 0 : 1) - (b.encodeWhen ? 0 : 1));
    ecases += `case ${q(kind)}:`;
    for (const st of sorted) {
      ecases += st.encodeWhen ? `if(${st.encodeWhen})return e_${st.id}(dv,u8,p,v,path);` : `return e_${st.id}(dv,u8,p,v,path);`;
    }
    if (sorted.every((x) => x.encodeWhen)) ecases += `throw Hkind(path,v,${q(fam.what)});`;
  }
  const enc = `function e_${fam.id}(dv,u8,p,v,path){switch(v===null||typeof v!=='object'?undefined:v.kind){${ecases}default:throw Hkind(path,v,${q(fam.what)});}}`;
  return `${dec}\n${enc}`;
}

export interface CompiledCodecs {
  dec: Record<string, DecFn>;
  enc: Record<string, EncFn>;
  source: string;
}

/** Compiles descriptions + hand-written codecs into decoders/encoders keyed by id. */
export function compile(structs: StructSpec[], families: FamilySpec[], customs: Record<string, CustomCodec>,
  helpers: Record<string, unknown>): CompiledCodecs {
  const sMap = new Map(structs.map((s) => [s.id, s]));
  const fMap = new Map(families.map((f) => [f.id, f]));
  const ids = [...sMap.keys(), ...fMap.keys(), ...Object.keys(customs)];
  if (new Set(ids).size !== ids.length) throw new Error('duplicate description id');
  const parts: string[] = ['"use strict";'];
  for (const h of Object.keys(helpers)) parts.push(`const ${h}=H.helpers.${h};`);
  for (const c of Object.keys(customs)) parts.push(`const d_${c}=H.customs.${c}.dec,e_${c}=H.customs.${c}.enc;`);
  for (const s of structs) { parts.push(genDecoder(s)); parts.push(genEncoder(s)); }
  for (const f of families) parts.push(genFamily(f, sMap, fMap, customs));
  parts.push(`return{dec:{${ids.map((i) => `${q(i)}:d_${i}`).join(',')}},enc:{${ids.map((i) => `${q(i)}:e_${i}`).join(',')}}};`);
  const source = parts.join('\n');
  const factory = new Function('H', source) as (h: unknown) => { dec: Record<string, DecFn>; enc: Record<string, EncFn> };
  const out = factory({ helpers, customs });
  return { ...out, source };
}
