// Request-body parser of the Ryu layer. Ryu reads command bodies with Python's ast.literal_eval
// and stats filters with json.loads, whatever the Content-Type (curl -d sends form-urlencoded).
// This one parser accepts both JSON and Python literals (single quotes, True/False/None, tuples,
// trailing commas) and keeps integers beyond 2^53 exact as bigint (cookies, metadata).
import { RyuBadRequest, type Json } from './util.js';

const MAX_DEPTH = 64;

export function parseLiteral(text: string): Json {
  let i = 0;
  const n = text.length;
  const fail = (msg: string): never => {
    throw new RyuBadRequest(`body is not valid JSON (nor a Python literal): ${msg} at offset ${i}`);
  };
  const ws = (): void => {
    while (i < n && /\s/.test(text[i])) i++;
  };
  const value = (depth: number): Json => {
    if (depth > MAX_DEPTH) fail('nested too deeply');
    ws();
    if (i >= n) return fail('unexpected end');
    const c = text[i];
    if (c === '{') return dict(depth);
    if (c === '[' || c === '(') return list(depth, c === '[' ? ']' : ')');
    if (c === '"' || c === "'") return str();
    if ((c === 'b' || c === 'B' || c === 'u' || c === 'U') && (text[i + 1] === '"' || text[i + 1] === "'")) {
      i++;
      return str();
    }
    if (/[-+0-9.]/.test(c)) return num();
    for (const [word, v] of [['true', true], ['false', false], ['null', null], ['True', true], ['False', false], ['None', null]] as const) {
      if (text.startsWith(word, i) && !/[A-Za-z0-9_]/.test(text[i + word.length] ?? '')) {
        i += word.length;
        return v;
      }
    }
    return fail(`unexpected ${JSON.stringify(c)}`);
  };
  const dict = (depth: number): Json => {
    i++;
    const out: { [k: string]: Json } = {};
    ws();
    if (text[i] === '}') {
      i++;
      return out;
    }
    for (;;) {
      ws();
      const k = value(depth + 1);
      if (typeof k !== 'string' && typeof k !== 'number' && typeof k !== 'bigint') fail('dict keys must be strings or numbers');
      ws();
      if (text[i] !== ':') fail('expected ":"');
      i++;
      const key = String(k);
      if (key === '__proto__') fail('forbidden key');
      out[key] = value(depth + 1);
      ws();
      if (text[i] === ',') {
        i++;
        ws();
        if (text[i] === '}') {
          i++;
          return out;
        }
        continue;
      }
      if (text[i] === '}') {
        i++;
        return out;
      }
      fail('expected "," or "}"');
    }
  };
  const list = (depth: number, close: string): Json => {
    i++;
    const out: Json[] = [];
    ws();
    if (text[i] === close) {
      i++;
      return out;
    }
    for (;;) {
      out.push(value(depth + 1));
      ws();
      if (text[i] === ',') {
        i++;
        ws();
        if (text[i] === close) {
          i++;
          return out;
        }
        continue;
      }
      if (text[i] === close) {
        i++;
        return out;
      }
      fail(`expected "," or "${close}"`);
    }
  };
  const str = (): string => {
    const q = text[i++];
    let out = '';
    for (;;) {
      if (i >= n) fail('unterminated string');
      const c = text[i++];
      if (c === q) return out;
      if (c === '\\') {
        const e = text[i++];
        const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '/': '/', '\\': '\\', '"': '"', "'": "'", '0': '\0' };
        if (e === 'u') {
          const h = text.slice(i, i + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(h)) fail('bad \\u escape');
          out += String.fromCharCode(parseInt(h, 16));
          i += 4;
        } else if (e === 'x') {
          const h = text.slice(i, i + 2);
          if (!/^[0-9a-fA-F]{2}$/.test(h)) fail('bad \\x escape');
          out += String.fromCharCode(parseInt(h, 16));
          i += 2;
        } else if (e in map) out += map[e];
        else fail('bad escape');
      } else out += c;
    }
  };
  const num = (): Json => {
    const m = /^[-+]?(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(\d[\d_]*)?(\.\d*)?([eE][-+]?\d+)?)/.exec(text.slice(i));
    if (!m || m[0] === '' || m[0] === '-' || m[0] === '+' || m[0] === '.') return fail('bad number');
    i += m[0].length;
    const s = m[0].replace(/_/g, '');
    if (/^[-+]?0[xXoObB]/.test(s)) {
      const neg = s.startsWith('-');
      const body = s.replace(/^[-+]/, '');
      const v = BigInt(/^0[oO]/.test(body) ? '0o' + body.slice(2) : body);
      return small(neg ? -v : v);
    }
    if (/^[-+]?\d+$/.test(s)) return small(BigInt(s));
    const f = Number(s);
    if (!Number.isFinite(f)) fail('bad number');
    return f;
  };
  const small = (v: bigint): Json => (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);

  const v = value(0);
  ws();
  if (i !== n) fail('trailing characters');
  return v;
}

/** Empty (or whitespace) body → undefined. */
export function parseBody(raw: Buffer | string | undefined): Json | undefined {
  const text = raw === undefined ? '' : typeof raw === 'string' ? raw : raw.toString('utf8');
  if (text.trim() === '') return undefined;
  return parseLiteral(text);
}
