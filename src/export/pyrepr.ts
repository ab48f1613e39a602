/**
 * Python source for JSON values, as BFCL's ground truth writes calls (`cd(folder='document')`): strings as
 * Python's repr quotes them, True/False/None, lists, dicts. Every value a JSON record can hold has a form
 * that `ast.literal_eval` reads back to the same value.
 */

const PY_KEYWORDS = new Set(
  (
    'False None True and as assert async await break class continue def del elif else except finally for ' +
    'from global if import in is lambda nonlocal not or pass raise return try while with yield'
  ).split(' '),
);

/** A name Python accepts as a function or keyword-argument name. */
export function isPythonIdentifier(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !PY_KEYWORDS.has(name);
}

/**
 * A name a Python call may have: identifiers joined by dots (`uber.ride`, as BFCL's live functions are named:
 * a method of a module or object).
 */
export function isPythonCallName(name: string): boolean {
  return name.split('.').every(isPythonIdentifier);
}

function hex(code: number, width: number): string {
  return code.toString(16).padStart(width, '0');
}

/** Python's repr of a str: single quotes unless the text has ' and no ", escapes for the unprintable. */
export function pyString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    const ch = s[i] as string;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += '\\' + quote;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || (code >= 0x7f && code <= 0xa0) || code === 0xad) out += '\\x' + hex(code, 2);
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < s.length) {
      const low = s.charCodeAt(i + 1);
      // a surrogate pair is one character in Python; a lone half is escaped like Python does
      if (low >= 0xdc00 && low <= 0xdfff) {
        out += ch + (s[i + 1] as string);
        i++;
      } else out += '\\u' + hex(code, 4);
    } else if (code >= 0xd800 && code <= 0xdfff) out += '\\u' + hex(code, 4);
    else if (code === 0x2028 || code === 0x2029 || code === 0xfeff) out += '\\u' + hex(code, 4);
    else out += ch;
  }
  return out + quote;
}

/** Python literal of a JSON value. Throws on what JSON cannot hold (undefined, functions, NaN). */
export function pyLiteral(v: unknown): string {
  if (v === null) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'string') return pyString(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new TypeError(`${v} has no JSON form`);
    // JS prints 1e+21 and 5e-7 where Python prints 1e+21 and 5e-07: both are valid float literals
    return Object.is(v, -0) ? '-0.0' : String(v);
  }
  if (Array.isArray(v)) return `[${v.map(pyLiteral).join(', ')}]`;
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).map(
      ([k, x]) => `${pyString(k)}: ${pyLiteral(x)}`,
    );
    return `{${entries.join(', ')}}`;
  }
  throw new TypeError(`${typeof v} has no JSON form`);
}

/**
 * A call as BFCL writes it: `name(a=1, b='x')` or, for a dotted name, `uber.ride(loc='x')`. Argument names
 * Python cannot take as keywords (`from`, `max-results`) go through `**{...}`, still one call expression.
 */
export function pyCall(name: string, args: Record<string, unknown>): string {
  if (!isPythonCallName(name)) throw new TypeError(`function name ${name} is not a Python name`);
  const plain: string[] = [];
  const other: [string, unknown][] = [];
  for (const [k, v] of Object.entries(args)) {
    if (isPythonIdentifier(k)) plain.push(`${k}=${pyLiteral(v)}`);
    else other.push([k, v]);
  }
  if (other.length > 0) plain.push(`**${pyLiteral(Object.fromEntries(other))}`);
  return `${name}(${plain.join(', ')})`;
}
