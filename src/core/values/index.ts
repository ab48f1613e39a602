import { arrayItems, type JsonSchemaT } from '../pool';
import { createRng, deriveSeed, type Rng } from '../rng';
import { conforms } from './check';
import { describedExamples } from './examples';
import { formatValue } from './formats';
import { numberFor, pickByName, stringFor } from './names';
import { patternValue } from './pattern';
import { branchOf, num, typeOf } from './schema';
import { coerceValue, renderValue } from './text';

export { coerceValue, renderValue };

/**
 * Rule-based argument values for the offline backend. A value depends only on (conversation seed, param
 * name), so the same user states the same city or file name throughout a conversation. Pure (the seed
 * comes in), so it is in core/: the offline backend and the tool simulator (tools/) both draw from it.
 *
 * The value comes from the first source that has one, most trusted first: values the environment says
 * exist (hints: files, users, bookings, so calls succeed), then what the schema states (enum, examples,
 * default, const), then examples quoted in the description, then the shape it requires (format, pattern),
 * and only then guesses from the parameter's name and type. A candidate that does not validate against the
 * schema is passed over (a default outside the enum, a description example too long for maxLength), so
 * what is drawn validates whenever some rule can write a valid value. Objects are built from their required
 * properties (all properties when none is required), arrays from their item schema, each part drawn by
 * these same rules under its own name and a seed derived from the parent's.
 */
type Hints = Readonly<Record<string, readonly unknown[]>>;

/** Nested objects and arrays deeper than this are left empty: tool schemas are shallow, a cycle is a bug. */
const MAX_DEPTH = 8;

export function userValue(seed: number, param: string, schema: JsonSchemaT, hints?: Hints): unknown {
  return draw(seed, param, schema, hints, 0);
}

function draw(
  seed: number,
  param: string,
  schema: JsonSchemaT,
  hints: Hints | undefined,
  depth: number,
): unknown {
  const rng = createRng(deriveSeed(seed, 'value', param));
  const valid = (v: unknown): boolean => conforms(schema, v);
  const pickValid = (items: readonly unknown[]): unknown => {
    const ok = items.filter(valid);
    return ok.length > 0 ? rng.pick(ok) : undefined;
  };
  // hints are the environment's word for the top-level parameter; nested fields take them only when they fit
  const hinted = hints?.[param];
  if (hinted && hinted.length > 0) {
    if (depth === 0) return rng.pick(hinted);
    const v = pickValid(hinted);
    if (v !== undefined) return v;
  }
  const s = branchOf(schema);
  const stated: (() => unknown)[] = [
    () => (s.enum ? pickValid(s.enum) : undefined),
    () => (Array.isArray(s.examples) ? pickValid(s.examples) : undefined),
    () => (valid(s.default) ? s.default : undefined),
    () => ('const' in s && valid(s.const) ? s.const : undefined),
    () => pickValid(describedExamples(s.description).map((text) => coerceValue(text, s))),
  ];
  for (const source of stated) {
    const v = source();
    if (v !== undefined) return v;
  }
  const type = typeOf(s);
  if (type === 'object') return objectValue(seed, param, s, hints, depth);
  if (type === 'array') return arrayValue(seed, param, s, hints, depth, rng);
  if (type === 'boolean') return true;
  if (type === 'null') return null;
  if (type === 'number' || type === 'integer') return numberFor(param, { ...s, type }, rng);
  // a string (or no type): its format, its pattern, then the name, then a placeholder of the right length
  const fits = (v: string): boolean =>
    v.length >= (num(s, 'minLength') ?? 0) && v.length <= (num(s, 'maxLength') ?? Infinity);
  const shaped: (() => string | undefined)[] = [
    () => (typeof s.format === 'string' ? formatValue(s.format, rng) : undefined),
    () => (typeof s.pattern === 'string' ? patternValue(s.pattern, rng, fits) : undefined),
    () => pickByName(param, rng),
  ];
  for (const source of shaped) {
    const v = source();
    if (v !== undefined && fits(v) && valid(v)) return v;
  }
  return stringFor(param, s, rng);
}

function objectValue(
  seed: number,
  param: string,
  s: JsonSchemaT,
  hints: Hints | undefined,
  depth: number,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (depth >= MAX_DEPTH) return out;
  const props = s.properties ?? {};
  const required = s.required ?? [];
  const extra = typeof s.additionalProperties === 'object' ? (s.additionalProperties as JsonSchemaT) : {};
  const childSeed = deriveSeed(seed, param);
  for (const k of required.length > 0 ? required : Object.keys(props))
    out[k] = draw(childSeed, k, props[k] ?? extra, hints, depth + 1);
  return out;
}

function arrayValue(
  seed: number,
  param: string,
  s: JsonSchemaT,
  hints: Hints | undefined,
  depth: number,
  rng: Rng,
): unknown[] {
  if (depth >= MAX_DEPTH) return [];
  const { tuple, each } = arrayItems(s);
  const name = `${param}_item`;
  if (tuple.length > 0) return tuple.map((t, i) => draw(deriveSeed(seed, i), name, t, hints, depth + 1));
  const item = each ?? { type: 'string' };
  const min = num(s, 'minItems') ?? 0;
  const max = num(s, 'maxItems') ?? Infinity;
  const n = Math.min(Math.max(2 + rng.int(3), min), max);
  const out: unknown[] = [];
  const seen = new Set<string>();
  // uniqueItems: a repeated element is drawn again under another seed, a few times at most
  for (let i = 0; out.length < n && i < n * 4; i++) {
    const v = draw(deriveSeed(seed, i), name, item, hints, depth + 1);
    const k = JSON.stringify(v);
    if (s.uniqueItems === true && seen.has(k)) continue;
    seen.add(k);
    out.push(v);
  }
  return out;
}
