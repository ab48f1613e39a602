import type { JsonSchemaT } from '../pool';
import type { Rng } from '../rng';
import { tokens } from '../text';
import { clockValue, dateValue, emailValue, urlValue } from './formats';
import { num } from './schema';

/**
 * The last rules: a value from the parameter's name (a "city" is a city), then from its type and bounds.
 * They run only when the schema itself says nothing more specific (enum, examples, format, pattern...).
 */
const CITIES = ['San Francisco', 'New York', 'Chicago', 'Boston', 'Seattle', 'Austin', 'Denver', 'Miami'];
const PEOPLE = ['Alice', 'Bob', 'Carol', 'Dave', 'Eve', 'Frank', 'Grace', 'Heidi'];
const SYMBOLS = ['AAPL', 'MSFT', 'GOOG', 'AMZN', 'NVDA', 'TSLA'];
const WORDS = ['report', 'summary', 'notes', 'budget', 'draft', 'plan'];
const TIMEZONES = ['America/New_York', 'Europe/London', 'Asia/Tokyo', 'UTC', 'Europe/Berlin'];
const CURRENCIES = ['USD', 'EUR', 'GBP', 'JPY'];
const UNITS = ['km', 'mi', 'kg', 'lb', 'celsius', 'fahrenheit'];
const LANGUAGES = ['en', 'fr', 'de', 'es'];
const COUNTRIES = ['US', 'FR', 'JP', 'DE', 'BR'];
const STREETS = ['Main Street', 'Oak Avenue', 'Elm Street', 'Market Street'];
const QUERIES = ['italian restaurants', 'wireless headphones', 'quarterly report', 'hiking trails'];

export function pickByName(name: string, rng: Rng): string | undefined {
  const t = new Set(tokens(name));
  const has = (...w: string[]): boolean => w.some((x) => t.has(x));
  // specific words first: "from_currency" is a currency, not a city; "time_zone" is no clock time
  if (has('timezone', 'tz') || (has('time') && has('zone'))) return rng.pick(TIMEZONES);
  if (has('currency')) return rng.pick(CURRENCIES);
  if (has('unit', 'units')) return rng.pick(UNITS);
  if (has('language', 'lang', 'locale')) return rng.pick(LANGUAGES);
  if (has('country')) return rng.pick(COUNTRIES);
  if (has('password', 'passphrase', 'secret'))
    return `${rng.pick(WORDS)}-${rng.pick(WORDS)}-${10 + rng.int(90)}`;
  if (has('url', 'uri', 'link', 'website', 'endpoint')) return urlValue(rng);
  if (has('phone', 'mobile')) return `+1-555-01${String(rng.int(100)).padStart(2, '0')}`;
  if (has('query', 'search', 'keyword', 'keywords')) return rng.pick(QUERIES);
  if (has('street', 'address') && !has('email', 'ip')) return `${1 + rng.int(200)} ${rng.pick(STREETS)}`;
  if (has('city', 'destination', 'origin', 'location', 'from', 'to', 'place')) return rng.pick(CITIES);
  if (has('email')) return emailValue(rng);
  if (has('user', 'name', 'recipient', 'sender', 'contact', 'person')) return rng.pick(PEOPLE);
  if (has('symbol', 'ticker', 'stock')) return rng.pick(SYMBOLS);
  if (has('date', 'day')) return dateValue(rng);
  if (has('time')) return clockValue(rng);
  if (has('path', 'file', 'filename')) return `${rng.pick(WORDS)}.txt`;
  if (has('dir', 'directory', 'folder')) return rng.pick(['documents', 'projects', 'archive']);
  if (has('message', 'text', 'content', 'body', 'note'))
    return `Meeting moved to ${rng.pick(['Monday', 'Tuesday', 'Friday'])}`;
  if (has('id')) return `${tokens(name)[0] ?? 'id'}-${1000 + rng.int(9000)}`;
  return undefined;
}

/** A string from nothing but the name: "<name words>-<n>", cut or padded to the schema's length bounds. */
export function stringFor(name: string, schema: JsonSchemaT, rng: Rng): string {
  const s = `${tokens(name).join('-') || 'value'}-${1 + rng.int(99)}`;
  return fitLength(s, num(schema, 'minLength'), num(schema, 'maxLength'));
}

export function fitLength(s: string, min = 0, max = Infinity): string {
  const cut = s.length > max ? s.slice(0, Math.max(0, max)) : s;
  return cut.length < min ? cut.padEnd(min, 'x') : cut;
}

/**
 * A number within the schema's bounds (minimum/maximum, exclusive bounds in both the draft-04 boolean and the
 * draft-06+ numeric form, multipleOf). Without bounds the range comes from the name (a temperature, a count).
 * Non-integers keep two decimals, the way a person states an amount.
 */
export function numberFor(name: string, schema: JsonSchemaT, rng: Rng): number {
  const t = new Set(tokens(name));
  const integer = schema.type === 'integer' || t.has('quantity') || t.has('count');
  const exMin = schema.exclusiveMinimum === true ? num(schema, 'minimum') : num(schema, 'exclusiveMinimum');
  const exMax = schema.exclusiveMaximum === true ? num(schema, 'maximum') : num(schema, 'exclusiveMaximum');
  const min = schema.exclusiveMinimum === true ? undefined : num(schema, 'minimum');
  const max = schema.exclusiveMaximum === true ? undefined : num(schema, 'maximum');
  const lower = [min, exMin].filter((x): x is number => x !== undefined);
  const upper = [max, exMax].filter((x): x is number => x !== undefined);
  const span = t.has('temperature') ? 27 : t.has('quantity') || t.has('count') ? 19 : 499;
  // with only an upper bound, start at 1 as an unbounded number does, or just below a bound under 1
  const top = upper.length ? Math.min(...upper) : undefined;
  let lo = lower.length ? Math.max(...lower) : top !== undefined && top <= 1 ? top - 10 : 1;
  let hi = top ?? lo + span;
  if (hi < lo) [lo, hi] = [hi, lo];
  const inside = (v: number): boolean =>
    (exMin === undefined || v > exMin) && (exMax === undefined || v < exMax) && v >= lo && v <= hi;
  const step = num(schema, 'multipleOf');
  if (step !== undefined && step > 0) {
    const unit = integer ? Math.max(1, Math.ceil(step)) : step;
    const first = Math.ceil(lo / unit);
    const last = Math.floor(hi / unit);
    const ks = Array.from({ length: Math.min(Math.max(0, last - first + 1), 1000) }, (_, i) => first + i);
    const ok = ks.map((k) => roundTo(k * unit, unit)).filter(inside);
    if (ok.length > 0) return rng.pick(ok);
  }
  if (integer) {
    const a = Math.ceil(exMin !== undefined && exMin >= lo ? Math.floor(exMin) + 1 : lo);
    const b = Math.floor(exMax !== undefined && exMax <= hi ? Math.ceil(exMax) - 1 : hi);
    return b >= a ? a + rng.int(b - a + 1) : Math.round(lo);
  }
  const v = Math.round((lo + rng.next() * (hi - lo)) * 100) / 100;
  return inside(v) ? v : (lo + hi) / 2;
}

/** `k * step` without floating-point dust (0.1 * 3 = 0.3, not 0.30000000000000004). */
function roundTo(v: number, step: number): number {
  const decimals = (String(step).split('.')[1] ?? '').length;
  return Number(v.toFixed(Math.min(decimals, 12)));
}
