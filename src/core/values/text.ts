import JSON5 from 'json5';
import { arrayItems, type JsonSchemaT } from '../pool';
import { branchOf, typeOf } from './schema';

/**
 * How a value is written inside a user query, and read back. The query holds it between double quotes and
 * forth-translation finds it again with `"([^"]*)"`, so the text never holds a double quote, and reading the
 * text with the parameter's schema gives back the value that was written (deep equal).
 *
 * Written as a person would: a string as itself, a list of plain values as `a, b, c`. What that cannot carry
 * (an object, a list holding objects or values with ", " in them, a string with a double quote or one that
 * looks like a literal) is written as a JSON5 literal with single-quoted strings, `{name: 'pen', qty: 2}`,
 * which the json5 package reads back; inside it an apostrophe is `\'` and a double quote `\u0022`.
 */
export function renderValue(v: unknown): string {
  if (typeof v === 'string') return plainString(v) ? v : literal(v);
  if (Array.isArray(v)) return v.every(plainElement) ? v.map((x) => String(x)).join(', ') : literal(v);
  if (v !== null && typeof v === 'object') return literal(v);
  return String(v);
}

/** Reads a value written by renderValue back into the parameter's type. */
export function coerceValue(text: string, schema: JsonSchemaT): unknown {
  const s = branchOf(schema);
  if (s.enum?.some((e) => typeof e === 'number') && text.trim() !== '' && !Number.isNaN(Number(text)))
    return Number(text);
  switch (typeOf(s)) {
    case 'number':
    case 'integer': {
      const n = Number(text);
      return text.trim() === '' || Number.isNaN(n) ? text : n;
    }
    case 'boolean':
      return text === 'true';
    case 'null':
      return text === 'null' ? null : text;
    case 'array': {
      if (text === '') return [];
      const parsed = bracketed(text, '[', ']') ? parseLiteral(text) : undefined;
      if (Array.isArray(parsed)) return parsed;
      return text.split(', ').map((x, i) => coerceValue(x, elementAt(s, i)));
    }
    case 'object': {
      const parsed = parseLiteral(text) ?? legacyJson(text);
      return parsed !== null && typeof parsed === 'object' ? parsed : {};
    }
    case 'string': {
      const parsed = bracketed(text, "'", "'") ? parseLiteral(text) : undefined;
      return typeof parsed === 'string' ? parsed : text;
    }
    default: {
      // no type: a literal is read as what it writes, anything else as the text itself
      const literalLike = bracketed(text, '{', '}') || bracketed(text, '[', ']') || bracketed(text, "'", "'");
      const parsed = literalLike ? parseLiteral(text) : undefined;
      return parsed === undefined ? text : parsed;
    }
  }
}

/** A string written as itself: no double quote or control character, nothing a reader would take for a literal. */
function plainString(s: string): boolean {
  return ![...s].some((c) => c === '"' || unprintable(c)) && !/^[[{']/.test(s);
}

/** An element a plain `a, b, c` list carries and gives back. */
function plainElement(x: unknown): boolean {
  if (typeof x === 'number') return Number.isFinite(x);
  if (typeof x === 'boolean') return true;
  return typeof x === 'string' && x !== '' && plainString(x) && !x.includes(', ') && !/[\]']$/.test(x);
}

function literal(v: unknown): string {
  if (typeof v === 'string') return quote(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return `[${v.map((x) => literal(x)).join(', ')}]`;
  if (typeof v === 'object') {
    const fields = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    return `{${fields.map(([k, x]) => `${key(k)}: ${literal(x)}`).join(', ')}}`;
  }
  return quote(String(v));
}

function key(k: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(k) && k !== '__proto__' ? k : quote(k);
}

const ESCAPES: Record<string, string> = { '\\': '\\\\', "'": "\\'", '\n': '\\n', '\t': '\\t', '\r': '\\r' };

/** Control characters and the two line separators JavaScript reads as line ends: escaped, never written raw. */
function unprintable(c: string): boolean {
  const code = c.charCodeAt(0);
  return code < 0x20 || code === 0x7f || code === 0x2028 || code === 0x2029;
}

function quote(s: string): string {
  const body = [...s]
    .map((c) =>
      c === '\\' || c === "'" || c === '"' || unprintable(c)
        ? (ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
        : c,
    )
    .join('');
  return `'${body}'`;
}

function bracketed(text: string, open: string, close: string): boolean {
  return text.length >= 2 && text.startsWith(open) && text.endsWith(close);
}

function parseLiteral(text: string): unknown {
  try {
    return JSON5.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Objects written before the JSON5 form: JSON with its double quotes turned into single ones. */
function legacyJson(text: string): unknown {
  try {
    return JSON.parse(text.replace(/'/g, '"')) as unknown;
  } catch {
    return undefined;
  }
}

/** The schema of element `i` of an array: its tuple position's, else the shared one, else a string. */
function elementAt(schema: JsonSchemaT, i: number): JsonSchemaT {
  const { tuple, each } = arrayItems(schema);
  return tuple[i] ?? each ?? { type: 'string' };
}
