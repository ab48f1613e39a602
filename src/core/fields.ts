import { arrayItems, elementSchema, type JsonSchemaT } from './pool';

/**
 * Fields of a function's output as paths, so a value can follow the graph into nested outputs: `total`
 * (a top-level field), `owner.id` (a field of an object), `books[].book_id` (the field of an element of an
 * array: the first element that has it), `books[2].book_id` (of the third element), and `[].id` when the
 * output itself is an array. Refs, sources and graph feeds all name their field this way; a plain name is a
 * path of one step, so every field written before paths existed means what it meant.
 */

/** One step of a field path: a property, every element (`[]`: the first that resolves), or one element. */
export type FieldStep = { key: string } | { each: true } | { index: number };

const STEP = /([^.[\]]+)|\[(\d*)\]/g;

/** The steps of a path; undefined when it is not one (empty, stray brackets or dots). */
export function parseField(field: string): FieldStep[] | undefined {
  const steps: FieldStep[] = [];
  let at = 0;
  for (const m of field.matchAll(STEP)) {
    // a dot stands before every property but the first, nothing before an index
    const gap = field.slice(at, m.index);
    if (gap !== (m[1] !== undefined && steps.length > 0 ? '.' : '')) return undefined;
    if (m[1] !== undefined) steps.push({ key: m[1] });
    else steps.push(m[2] === '' ? { each: true } : { index: Number(m[2]) });
    at = m.index + m[0].length;
  }
  return steps.length > 0 && at === field.length ? steps : undefined;
}

/** The last property a path names (`books[].book_id` -> `book_id`): what matchers compare to a parameter. */
export function leafName(field: string): string {
  const steps = parseField(field);
  if (!steps) return field;
  for (let i = steps.length - 1; i >= 0; i--) {
    const s = steps[i] as FieldStep;
    if ('key' in s) return s.key;
  }
  return field;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function walk(value: unknown, steps: readonly FieldStep[], accept: (v: unknown) => boolean): unknown {
  if (steps.length === 0) return value !== undefined && accept(value) ? value : undefined;
  const [step, ...rest] = steps as [FieldStep, ...FieldStep[]];
  if ('key' in step) {
    if (!isRecord(value) || !Object.prototype.hasOwnProperty.call(value, step.key)) return undefined;
    return walk(value[step.key], rest, accept);
  }
  if (!Array.isArray(value)) return undefined;
  if ('index' in step) return walk(value[step.index], rest, accept);
  for (const element of value) {
    const v = walk(element, rest, accept);
    if (v !== undefined) return v;
  }
  return undefined;
}

/**
 * The value a path names in an output, or undefined when the output has none there. `[]` takes the first
 * element the rest of the path resolves in (and `accept` takes, when given), so `books[].book_id` is the
 * book_id of the first book that has one.
 */
export function valueAtField(
  output: unknown,
  field: string,
  accept: (v: unknown) => boolean = () => true,
): unknown {
  // a key that is the whole path is that field (a key with a dot in it, named before paths existed)
  if (isRecord(output) && Object.prototype.hasOwnProperty.call(output, field))
    return output[field] !== undefined && accept(output[field]) ? output[field] : undefined;
  const steps = parseField(field);
  return steps ? walk(output, steps, accept) : undefined;
}

/**
 * The schema a path names in an output schema, or undefined. Lenient the way judges write paths: a property
 * of an array is looked up in its elements (`books.book_id` as `books[].book_id`), `[]` on a schema that is
 * no array stays on it, and a plain name in an array output names a field of its elements.
 */
export function schemaAtField(schema: JsonSchemaT | undefined, field: string): JsonSchemaT | undefined {
  const steps = parseField(field);
  if (!steps) return undefined;
  let s: JsonSchemaT | undefined = schema;
  for (const step of steps) {
    if (!s) return undefined;
    if ('key' in step) s = s.properties?.[step.key] ?? elementSchema(s)?.properties?.[step.key];
    else if ('index' in step) {
      const { tuple, each } = arrayItems(s);
      if (tuple.length > 0 || each) s = tuple[step.index] ?? each;
    } else s = elementSchema(s) ?? s;
  }
  return s;
}

/** A field of an output schema as a path, with the schema it has and what encloses it. */
export interface OutputPath {
  /** The path (`books[].book_id`). */
  path: string;
  /** Its last property (`book_id`). */
  leaf: string;
  schema: JsonSchemaT;
  /** The property it is nested in (`books`), `''` for a field of the elements of an array output. */
  parent?: string;
  /** Whether it is a field of array elements. */
  inArray: boolean;
}

/**
 * The fields of an output schema later calls can take a value from, in the order a matcher should prefer
 * them: top-level properties; then, per top-level property, the properties of an object (`owner.id`) or of
 * the elements of an array (`books[].book_id`), one level down and no further; for an array output, the
 * properties of its elements (`[].id`). Tuples have no element schema and give nothing.
 */
export function outputPaths(output: JsonSchemaT | undefined): OutputPath[] {
  const out: OutputPath[] = [];
  if (!output) return out;
  if (!output.properties) {
    for (const [name, p] of Object.entries(elementSchema(output)?.properties ?? {}))
      out.push({ path: `[].${name}`, leaf: name, schema: p, parent: '', inArray: true });
    return out;
  }
  const top = Object.entries(output.properties);
  for (const [name, p] of top) out.push({ path: name, leaf: name, schema: p, inArray: false });
  for (const [name, p] of top) {
    const inner = p.properties ?? elementSchema(p)?.properties;
    const sep = p.properties ? '.' : '[].';
    for (const [sub, q] of Object.entries(inner ?? {}))
      if (!/[.[\]]/.test(sub))
        out.push({ path: `${name}${sep}${sub}`, leaf: sub, schema: q, parent: name, inArray: !p.properties });
  }
  return out;
}

/** A field of an actual output with its value: a path into it, its last property and the value there. */
export interface OutputValue {
  path: string;
  leaf: string;
  value: unknown;
}

/**
 * The fields of an actual output, concrete paths with their values, in the order a planner should prefer
 * them: top-level fields first (in key order); then, per top-level field, the fields of an object
 * (`owner.id`) or of each object element of an array, element by element (`items[0].id`, `items[1].id`); for
 * an array output, the fields of each element (`[0].id`). One level down, like `outputPaths`.
 */
export function outputValues(output: unknown): OutputValue[] {
  const out: OutputValue[] = [];
  const fieldsOf = (o: unknown, prefix: string): void => {
    if (!isRecord(o)) return;
    // a nested key that reads as a path (`a.b`, `x[0]`) could not be named unambiguously: left out
    for (const [k, v] of Object.entries(o))
      if (prefix === '' || !/[.[\]]/.test(k)) out.push({ path: `${prefix}${k}`, leaf: k, value: v });
  };
  if (Array.isArray(output)) {
    output.forEach((e, i) => fieldsOf(e, `[${i}].`));
    return out;
  }
  if (!isRecord(output)) return out;
  fieldsOf(output, '');
  for (const [k, v] of Object.entries(output)) {
    if (isRecord(v)) fieldsOf(v, `${k}.`);
    else if (Array.isArray(v)) v.forEach((e, i) => fieldsOf(e, `${k}[${i}].`));
  }
  return out;
}
