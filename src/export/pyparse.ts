/**
 * Reads back what pyrepr.ts writes: one Python call with keyword arguments (and `**{...}`) whose values are
 * literals (str, int, float, True/False/None, lists, tuples, dicts). Enough for `magnet validate` to check
 * BFCL ground truth without Python; the tests also parse every string with Python's own `ast`.
 */
export class PyParseError extends Error {}

/** A plain assignment would let a key named __proto__ replace the prototype instead of being a key. */
function define(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

export function parsePyCall(src: string): { name: string; args: Record<string, unknown> } {
  let i = 0;
  const fail = (what: string): never => {
    throw new PyParseError(`${what} at column ${i + 1}`);
  };
  const ws = (): void => {
    while (i < src.length && /\s/.test(src[i] as string)) i++;
  };
  const eat = (s: string): boolean => {
    ws();
    if (src.startsWith(s, i)) {
      i += s.length;
      return true;
    }
    return false;
  };
  const ident = (): string => {
    ws();
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (!m) return fail('expected a name');
    i += m[0].length;
    return m[0];
  };
  const str = (): string => {
    const q = src[i] as string;
    i++;
    let out = '';
    while (i < src.length && src[i] !== q) {
      const ch = src[i] as string;
      if (ch === '\n') fail('newline in string');
      if (ch !== '\\') {
        out += ch;
        i++;
        continue;
      }
      const e = src[i + 1];
      i += 2;
      const simple: Record<string, string> = {
        n: '\n',
        r: '\r',
        t: '\t',
        '\\': '\\',
        "'": "'",
        '"': '"',
        '0': '\0',
      };
      if (e !== undefined && e in simple) out += simple[e];
      else if (e === 'x' || e === 'u' || e === 'U') {
        const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
        const h = src.slice(i, i + n);
        if (!/^[0-9a-fA-F]+$/.test(h) || h.length !== n) fail('bad escape');
        out += String.fromCodePoint(parseInt(h, 16));
        i += n;
      } else fail(`unknown escape \\${e ?? ''}`);
    }
    if (src[i] !== q) fail('unterminated string');
    i++;
    return out;
  };
  const value = (): unknown => {
    ws();
    const ch = src[i];
    if (ch === "'" || ch === '"') return str();
    if (eat('[') || eat('(')) {
      const close = src[i - 1] === '[' ? ']' : ')';
      const items: unknown[] = [];
      while (!eat(close)) {
        items.push(value());
        if (!eat(',') && !src.startsWith(close, (ws(), i))) fail(`expected , or ${close}`);
      }
      return items;
    }
    if (eat('{')) {
      const obj: Record<string, unknown> = {};
      while (!eat('}')) {
        ws();
        if (src[i] !== "'" && src[i] !== '"') fail('dict keys must be strings');
        const k = str();
        if (!eat(':')) fail('expected :');
        define(obj, k, value());
        if (!eat(',') && !src.startsWith('}', (ws(), i))) fail('expected , or }');
      }
      return obj;
    }
    const m = /^-?(\d+\.?\d*(e[+-]?\d+)?|\.\d+(e[+-]?\d+)?)/i.exec(src.slice(i));
    if (m) {
      i += m[0].length;
      return Number(m[0]);
    }
    const word = ident();
    if (word === 'True') return true;
    if (word === 'False') return false;
    if (word === 'None') return null;
    return fail(`${word} is not a literal`);
  };
  const name = ident();
  if (!eat('(')) fail('expected (');
  const args: Record<string, unknown> = {};
  while (!eat(')')) {
    if (eat('**')) {
      const v = value();
      if (!v || typeof v !== 'object' || Array.isArray(v)) fail('** needs a dict');
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) define(args, k, x);
    } else {
      const k = ident();
      if (!eat('=')) fail('positional arguments are not used by BFCL ground truth; expected =');
      define(args, k, value());
    }
    if (!eat(',') && !src.startsWith(')', (ws(), i))) fail('expected , or )');
  }
  ws();
  if (i !== src.length) fail('text after the call');
  return { name, args };
}
