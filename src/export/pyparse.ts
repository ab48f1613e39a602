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

/** Escapes that stand for one character; `\x`, `\u` and `\U` take hex digits (see `Reader.escape`). */
const ESCAPES: Record<string, string> = {
  n: '\n',
  r: '\r',
  t: '\t',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '0': '\0',
};

export function parsePyCall(src: string): { name: string; args: Record<string, unknown> } {
  return new Reader(src).call();
}

/**
 * A cursor over one call's text, read left to right without backtracking. The position is shared by every
 * read so an error names the column where reading stopped.
 */
class Reader {
  private i = 0;

  constructor(private readonly src: string) {}

  /** `name(k=v, **{...})` (the name may be dotted: `uber.ride`) and nothing after it. */
  call(): { name: string; args: Record<string, unknown> } {
    let name = this.ident();
    while (this.eat('.')) name += `.${this.ident()}`;
    if (!this.eat('(')) this.fail('expected (');
    const args: Record<string, unknown> = {};
    while (!this.eat(')')) {
      this.argument(args);
      if (!this.eat(',') && !this.at(')')) this.fail('expected , or )');
    }
    this.ws();
    if (this.i !== this.src.length) this.fail('text after the call');
    return { name, args };
  }

  private fail(what: string): never {
    throw new PyParseError(`${what} at column ${this.i + 1}`);
  }

  private ws(): void {
    while (this.i < this.src.length && /\s/.test(this.src[this.i] as string)) this.i++;
  }

  /** Consumes `s` (after whitespace) when it comes next. */
  private eat(s: string): boolean {
    this.ws();
    if (this.src.startsWith(s, this.i)) {
      this.i += s.length;
      return true;
    }
    return false;
  }

  /** Whether `s` comes next (after whitespace), without consuming it. */
  private at(s: string): boolean {
    this.ws();
    return this.src.startsWith(s, this.i);
  }

  private ident(): string {
    this.ws();
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.src.slice(this.i));
    if (!m) return this.fail('expected a name');
    this.i += m[0].length;
    return m[0];
  }

  /** One keyword argument, or `**{...}` whose entries are arguments (pyrepr writes it for keys that are not names). */
  private argument(args: Record<string, unknown>): void {
    if (this.eat('**')) {
      const v = this.value();
      if (!v || typeof v !== 'object' || Array.isArray(v)) this.fail('** needs a dict');
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) define(args, k, x);
    } else {
      const k = this.ident();
      if (!this.eat('=')) this.fail('positional arguments are not used by BFCL ground truth; expected =');
      define(args, k, this.value());
    }
  }

  private value(): unknown {
    this.ws();
    const ch = this.src[this.i];
    if (ch === "'" || ch === '"') return this.str();
    if (this.eat('[') || this.eat('(')) return this.sequence(this.src[this.i - 1] === '[' ? ']' : ')');
    if (this.eat('{')) return this.dict();
    const m = /^-?(\d+\.?\d*(e[+-]?\d+)?|\.\d+(e[+-]?\d+)?)/i.exec(this.src.slice(this.i));
    if (m) {
      this.i += m[0].length;
      return Number(m[0]);
    }
    const word = this.ident();
    if (word === 'True') return true;
    if (word === 'False') return false;
    if (word === 'None') return null;
    return this.fail(`${word} is not a literal`);
  }

  /** A list or a tuple (both read as an array), after its opening bracket. */
  private sequence(close: string): unknown[] {
    const items: unknown[] = [];
    while (!this.eat(close)) {
      items.push(this.value());
      if (!this.eat(',') && !this.at(close)) this.fail(`expected , or ${close}`);
    }
    return items;
  }

  /** A dict with string keys, after its `{`. */
  private dict(): Record<string, unknown> {
    const obj: Record<string, unknown> = {};
    while (!this.eat('}')) {
      this.ws();
      if (this.src[this.i] !== "'" && this.src[this.i] !== '"') this.fail('dict keys must be strings');
      const k = this.str();
      if (!this.eat(':')) this.fail('expected :');
      define(obj, k, this.value());
      if (!this.eat(',') && !this.at('}')) this.fail('expected , or }');
    }
    return obj;
  }

  /** A quoted string, at its opening quote. */
  private str(): string {
    const q = this.src[this.i] as string;
    this.i++;
    let out = '';
    while (this.i < this.src.length && this.src[this.i] !== q) {
      const ch = this.src[this.i] as string;
      if (ch === '\n') this.fail('newline in string');
      if (ch !== '\\') {
        out += ch;
        this.i++;
        continue;
      }
      out += this.escape();
    }
    if (this.src[this.i] !== q) this.fail('unterminated string');
    this.i++;
    return out;
  }

  /** The character a backslash escape stands for, at the backslash. */
  private escape(): string {
    const e = this.src[this.i + 1];
    this.i += 2;
    if (e !== undefined && e in ESCAPES) return ESCAPES[e] as string;
    if (e !== 'x' && e !== 'u' && e !== 'U') return this.fail(`unknown escape \\${e ?? ''}`);
    const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
    const h = this.src.slice(this.i, this.i + n);
    if (!/^[0-9a-fA-F]+$/.test(h) || h.length !== n) this.fail('bad escape');
    const c = String.fromCodePoint(parseInt(h, 16));
    this.i += n;
    return c;
  }
}
