import { arrayItems, type JsonSchemaT } from './pool';
import { createRng, deriveSeed, type Rng } from './rng';
import { tokens } from './text';

/**
 * Rule-based argument values for the offline backend. A value depends only on (conversation seed, param
 * name), so the same user states the same city or file name throughout a conversation. Pure (the seed
 * comes in), so it is in core/: the offline backend and the tool simulator (tools/) both draw from it.
 */
const CITIES = ['San Francisco', 'New York', 'Chicago', 'Boston', 'Seattle', 'Austin', 'Denver', 'Miami'];
const PEOPLE = ['Alice', 'Bob', 'Carol', 'Dave', 'Eve', 'Frank', 'Grace', 'Heidi'];
const SYMBOLS = ['AAPL', 'MSFT', 'GOOG', 'AMZN', 'NVDA', 'TSLA'];
const WORDS = ['report', 'summary', 'notes', 'budget', 'draft', 'plan'];

function pickByName(name: string, rng: Rng): string | undefined {
  const t = new Set(tokens(name));
  const has = (...w: string[]): boolean => w.some((x) => t.has(x));
  if (has('city', 'destination', 'origin', 'location', 'from', 'to', 'place')) return rng.pick(CITIES);
  if (has('email')) return `${rng.pick(PEOPLE).toLowerCase()}@example.com`;
  if (has('user', 'name', 'recipient', 'sender', 'contact', 'person')) return rng.pick(PEOPLE);
  if (has('symbol', 'ticker', 'stock')) return rng.pick(SYMBOLS);
  if (has('date', 'day'))
    return `2026-${String(1 + rng.int(12)).padStart(2, '0')}-${String(1 + rng.int(28)).padStart(2, '0')}`;
  if (has('time')) return `${String(8 + rng.int(10)).padStart(2, '0')}:${rng.pick(['00', '15', '30', '45'])}`;
  if (has('path', 'file', 'filename')) return `${rng.pick(WORDS)}.txt`;
  if (has('dir', 'directory', 'folder')) return rng.pick(['documents', 'projects', 'archive']);
  if (has('message', 'text', 'content', 'body', 'note'))
    return `Meeting moved to ${rng.pick(['Monday', 'Tuesday', 'Friday'])}`;
  if (has('id')) return `${tokens(name)[0] ?? 'id'}-${1000 + rng.int(9000)}`;
  return undefined;
}

function numberFor(name: string, schema: JsonSchemaT, rng: Rng): number {
  const t = new Set(tokens(name));
  let lo = schema.minimum ?? 1;
  let hi = schema.maximum ?? (t.has('temperature') ? 28 : t.has('quantity') || t.has('count') ? 20 : 500);
  if (hi < lo) [lo, hi] = [hi, lo];
  const integer = schema.type === 'integer' || t.has('quantity') || t.has('count');
  const v = lo + rng.next() * (hi - lo);
  return integer ? Math.round(v) : Math.round(v * 100) / 100;
}

export function userValue(
  seed: number,
  param: string,
  schema: JsonSchemaT,
  hints?: Readonly<Record<string, readonly unknown[]>>,
): unknown {
  const rng = createRng(deriveSeed(seed, 'value', param));
  // Values the environment says exist (files, users, bookings) make calls that succeed.
  const hinted = hints?.[param];
  if (hinted && hinted.length > 0) return rng.pick(hinted);
  if (schema.enum && schema.enum.length > 0) return rng.pick(schema.enum);
  const examples = schema.examples;
  if (Array.isArray(examples) && examples.length > 0) return rng.pick(examples);
  if (schema.default !== undefined) return schema.default;
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'boolean':
      return true;
    case 'number':
    case 'integer':
      return numberFor(param, schema, rng);
    case 'array': {
      const { tuple, each } = arrayItems(schema);
      if (tuple.length > 0) return tuple.map((s, i) => userValue(deriveSeed(seed, i), `${param}_item`, s));
      const item = each ?? { type: 'string' };
      const n = 2 + rng.int(3);
      return Array.from({ length: n }, (_, i) => userValue(deriveSeed(seed, i), `${param}_item`, item));
    }
    case 'object':
      return {};
    default:
      return pickByName(param, rng) ?? `${tokens(param).join('-') || 'value'}-${1 + rng.int(99)}`;
  }
}

/** How a value is written inside a user query (always between double quotes). */
export function renderValue(v: unknown): string {
  if (Array.isArray(v)) return v.map((x) => String(x)).join(', ');
  if (v && typeof v === 'object') return JSON.stringify(v).replace(/"/g, "'");
  return String(v).replace(/"/g, "'");
}

/** Reads a value written by renderValue back into the parameter's type. */
export function coerceValue(text: string, schema: JsonSchemaT): unknown {
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (schema.enum?.some((e) => typeof e === 'number') && !Number.isNaN(Number(text))) return Number(text);
  switch (type) {
    case 'number':
    case 'integer': {
      const n = Number(text);
      return Number.isNaN(n) ? text : n;
    }
    case 'boolean':
      return text === 'true';
    case 'array':
      return text === '' ? [] : text.split(', ').map((x, i) => coerceValue(x, elementAt(schema, i)));
    case 'object':
      try {
        return JSON.parse(text.replace(/'/g, '"')) as unknown;
      } catch {
        return {};
      }
    default:
      return text;
  }
}

/** The schema of element `i` of an array: its tuple position's, else the shared one, else a string. */
function elementAt(schema: JsonSchemaT, i: number): JsonSchemaT {
  const { tuple, each } = arrayItems(schema);
  return tuple[i] ?? each ?? { type: 'string' };
}
