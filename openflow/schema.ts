// The description language: one declaration per wire structure drives decode, encode (and, through the decoded
// shape, Ryu JSON). Declarations are plain data; compile.ts turns them into straight-line JS once at load time.

export type IntWidth = 1 | 2 | 4 | 8;
export type Field =
  /** Unsigned big-endian integer (8 = bigint). `value`: constant written on encode (discriminants).
   *  `self`: this struct's own length. `lenOf`: byte length of a later list/custom field (e.g. actions_len).
   *  `dflt`: value used on encode when the property is missing. `hidden`: not a property (header fields).
   *  `expect`: decode fails with `code` unless the value equals `value`. */
  | { k: 'int'; w: IntWidth; name: string; value?: number; self?: boolean; lenOf?: string; dflt?: number;
      hidden?: boolean; expect?: string }
  | { k: 'pad'; n: number }
  | { k: 'mac' | 'ipv4'; name: string }
  /** Fixed-size NUL-padded UTF-8 string. */
  | { k: 'str'; name: string; n: number }
  /** Fixed-count array of u32. */
  | { k: 'u32arr'; name: string; n: number }
  /** Rest of the region as bytes (`as: 'buf'`), as a list of u8 or of u32. `omitEmpty`: no property when empty. */
  | { k: 'bytes'; name: string; as?: 'buf' | 'u8list' | 'u32list'; omitEmpty?: boolean }
  /** A nested structure or family decoded in place. */
  | { k: 'one'; name: string; ref: string }
  /** Items of a structure/family until the end of the region (or of `lenFrom` bytes). */
  | { k: 'list'; name: string; ref: string; lenFrom?: string }
  /** A hand-written codec `d_<ref>(dv,u8,p,end)` / `e_<ref>(dv,u8,p,value,path)` for one field. */
  | { k: 'custom'; name: string; ref: string; lenFrom?: string }
  /** A property with a constant value on decode, ignored on encode (Ryu's `code: null` of experimenter errors). */
  | { k: 'emit'; name: string; json: string };

export interface StructSpec {
  /** Unique id of the description (usually the Ryu class name). */
  id: string;
  /** The `kind` of decoded objects (several descriptions may share one kind, see encodeWhen). */
  kind: string;
  fields: Field[];
  /** Extent: fixed (default, sum of fields), `self` (a length field), or `rest` (to the end of the region). */
  extent?: 'fixed' | 'self' | 'rest';
  /** For `self`: the length excludes padding to 8 that follows (OXM match, table-feature properties). */
  pad8?: boolean;
  /** For `self`: the length includes padding to 8 (actions, instructions): encode pads, decode requires len%8==0. */
  padIncl?: boolean;
  /** JS expression over `v` choosing this description on encode among those sharing its kind. */
  encodeWhen?: string;
}

export interface FamilySpec {
  id: string;
  /** Offset and width of the discriminant inside the item. */
  at: number;
  w: 1 | 2 | 4;
  cases: Record<number, string>;
  /** Description (struct or family id) for values not in cases; otherwise decode fails with errCode. */
  fallback?: string;
  errCode?: string;
  what: string;
}

// ---- small constructors so the descriptions read like the spec's C structs
export const u8 = (name: string, extra: Partial<Extract<Field, { k: 'int' }>> = {}): Field => ({ k: 'int', w: 1, name, ...extra });
export const u16 = (name: string, extra: Partial<Extract<Field, { k: 'int' }>> = {}): Field => ({ k: 'int', w: 2, name, ...extra });
export const u32 = (name: string, extra: Partial<Extract<Field, { k: 'int' }>> = {}): Field => ({ k: 'int', w: 4, name, ...extra });
export const u64 = (name: string): Field => ({ k: 'int', w: 8, name });
export const pad = (n: number): Field => ({ k: 'pad', n });
export const mac = (name: string): Field => ({ k: 'mac', name });
export const str = (name: string, n: number): Field => ({ k: 'str', name, n });
export const u32arr = (name: string, n: number): Field => ({ k: 'u32arr', name, n });
export const bytes = (name: string, as: 'buf' | 'u8list' | 'u32list' = 'buf', omitEmpty = false): Field => ({ k: 'bytes', name, as, omitEmpty });
export const one = (name: string, ref: string): Field => ({ k: 'one', name, ref });
export const list = (name: string, ref: string, lenFrom?: string): Field => ({ k: 'list', name, ref, lenFrom });
export const custom = (name: string, ref: string, lenFrom?: string): Field => ({ k: 'custom', name, ref, lenFrom });
export const emit = (name: string, json: string): Field => ({ k: 'emit', name, json });
/** `type` discriminant (u16) + `len` (u16, self) — the TLV header of actions, instructions, bands... */
export const tl = (type: number, lenName = 'len'): Field[] => [u16('type', { value: type }), u16(lenName, { self: true })];

export function struct(id: string, fields: Field[], opts: Partial<StructSpec> = {}): StructSpec {
  return { id, kind: opts.kind ?? id, fields, ...opts };
}
export function family(id: string, what: string, at: number, w: 1 | 2 | 4, cases: Record<number, string>,
  opts: { fallback?: string; errCode?: string } = {}): FamilySpec {
  return { id, what, at, w, cases, ...opts };
}
