import { closest, distance } from 'fastest-levenshtein';
import { z } from 'zod';

/**
 * Validation problems as a person fixes them: every problem at once (a typo in a required key is two zod
 * issues, the unknown key and the missing one, and the unknown key is the one that explains both, so unknown
 * keys come first), each unknown key with the schema's nearest key at its place ("did you mean
 * 'conversations'?"), and a missing field said as missing rather than as "received undefined".
 */

type Def = { type: string } & Record<string, unknown>;
const defOf = (s: unknown): Def | undefined => (s as { _zod?: { def?: Def } } | undefined)?._zod?.def;

/** Schema kinds that wrap another schema and add nothing a key path sees. */
const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional']);

/**
 * The schemas that give `schema` its shape: wrappers, pipes and lazies followed to what they wrap, unions and
 * intersections split into their members.
 */
function bases(schema: unknown): Def[] {
  const def = defOf(schema);
  if (!def) return [];
  if (WRAPPERS.has(def.type)) return bases(def.innerType);
  if (def.type === 'pipe') return bases(def.in);
  if (def.type === 'lazy') return bases((def.getter as () => unknown)());
  if (def.type === 'union') return (def.options as unknown[]).flatMap(bases);
  if (def.type === 'intersection') return [...bases(def.left), ...bases(def.right)];
  return [def];
}

/** The schemas a value at `key` may have under `schema` (several under a union). */
function childSchemas(schema: unknown, key: PropertyKey): unknown[] {
  return bases(schema).flatMap((def) => {
    if (def.type === 'object')
      return key in (def.shape as object) ? [(def.shape as Record<PropertyKey, unknown>)[key]] : [];
    if (def.type === 'array') return typeof key === 'number' ? [def.element] : [];
    if (def.type === 'record') return [def.valueType];
    return [];
  });
}

/** The keys an object at `path` under `schema` declares (an enum-keyed record's keys too). */
export function keysAt(schema: unknown, path: readonly PropertyKey[]): string[] {
  let at: unknown[] = [schema];
  for (const key of path) at = at.flatMap((s) => childSchemas(s, key));
  const keys = new Set<string>();
  for (const def of at.flatMap(bases)) {
    if (def.type === 'object') Object.keys(def.shape as object).forEach((k) => keys.add(k));
    if (def.type !== 'record') continue;
    const k = defOf(def.keyType);
    if (k?.type === 'enum') Object.values(k.entries as object).forEach((v) => keys.add(String(v)));
  }
  return [...keys];
}

/**
 * The known key a typo most likely meant: equal but for case, one the only key it starts (or is the start of),
 * or close in edit distance; else none.
 */
export function didYouMean(key: string, known: readonly string[]): string | undefined {
  if (known.length === 0) return undefined;
  const low = key.toLowerCase();
  const lower = known.find((k) => k.toLowerCase() === low);
  if (lower) return lower;
  // a key spelled out or cut short (mergeProbability for mergeProb): one side starts with the other
  const stem = known.filter(
    (k) => k.length >= 4 && (low.startsWith(k.toLowerCase()) || k.toLowerCase().startsWith(low)),
  );
  if (stem.length === 1) return stem[0];
  const best = closest(key, known as string[]);
  return distance(key, best) <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

export function fieldPath(path: readonly PropertyKey[]): string {
  return path
    .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
    .join('')
    .replace(/^\./, '');
}

/** One problem: where (a dotted path, empty at the top) and what. */
export interface Problem {
  field: string;
  message: string;
}

/** Every problem of a failed parse, unknown keys first; `schema` gives the keys "did you mean" picks from. */
export function problemsOf(err: z.ZodError, schema?: unknown): Problem[] {
  const unknown: Problem[] = [];
  const rest: Problem[] = [];
  for (const issue of err.issues) {
    if (issue.code === 'unrecognized_keys') {
      const known = schema ? keysAt(schema, issue.path) : [];
      for (const key of issue.keys) {
        const guess = didYouMean(key, known);
        unknown.push({
          field: fieldPath([...issue.path, key]),
          message: `unknown key${guess ? `; did you mean '${guess}'?` : known.length ? ` (known: ${known.join(', ')})` : ''}`,
        });
      }
    } else if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) {
      rest.push({ field: fieldPath(issue.path), message: `missing (expected ${issue.expected})` });
    } else rest.push({ field: fieldPath(issue.path), message: issue.message });
  }
  return [...unknown, ...rest];
}

/**
 * One line naming the file (and item) and every problem: `run.json: 2 problems: field conversation: unknown
 * key; did you mean 'conversations'?; field conversations: missing (expected number)`; a single problem keeps
 * the short form `run.json field conversations: missing (expected number)`.
 */
export function formatProblems(where: string, problems: readonly Problem[]): string {
  const field = (p: Problem): string => (p.field ? `field ${p.field}` : '');
  if (problems.length <= 1) {
    const p = problems[0] ?? { field: '', message: 'invalid' };
    return `${[where, field(p)].filter((s) => s !== '').join(' ')}: ${p.message}`;
  }
  const list = problems.map((p) => (p.field ? `${field(p)}: ${p.message}` : p.message)).join('; ');
  return `${where ? `${where}: ` : ''}${problems.length} problems: ${list}`;
}
