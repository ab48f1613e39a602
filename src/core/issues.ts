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

/** The schemas a value at `key` may have under `schema` (several under a union). */
function childSchemas(schema: unknown, key: PropertyKey): unknown[] {
  const def = defOf(schema);
  if (!def) return [];
  switch (def.type) {
    case 'object':
      return key in (def.shape as object) ? [(def.shape as Record<PropertyKey, unknown>)[key]] : [];
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return childSchemas(def.innerType, key);
    case 'pipe':
      return childSchemas(def.in, key);
    case 'lazy':
      return childSchemas((def.getter as () => unknown)(), key);
    case 'array':
      return typeof key === 'number' ? [def.element] : [];
    case 'record':
      return [def.valueType];
    case 'union':
      return (def.options as unknown[]).flatMap((o) => childSchemas(o, key));
    case 'intersection':
      return [...childSchemas(def.left, key), ...childSchemas(def.right, key)];
    default:
      return [];
  }
}

/** The keys an object at `path` under `schema` declares (an enum-keyed record's keys too). */
export function keysAt(schema: unknown, path: readonly PropertyKey[]): string[] {
  let at: unknown[] = [schema];
  for (const key of path) at = at.flatMap((s) => childSchemas(s, key));
  const keys = new Set<string>();
  const collect = (s: unknown): void => {
    const def = defOf(s);
    if (!def) return;
    if (def.type === 'object') Object.keys(def.shape as object).forEach((k) => keys.add(k));
    else if (
      ['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional'].includes(def.type)
    )
      collect(def.innerType);
    else if (def.type === 'pipe') collect(def.in);
    else if (def.type === 'lazy') collect((def.getter as () => unknown)());
    else if (def.type === 'union') (def.options as unknown[]).forEach(collect);
    else if (def.type === 'intersection') [def.left, def.right].forEach(collect);
    else if (def.type === 'record') {
      const k = defOf(def.keyType);
      if (k?.type === 'enum') Object.values(k.entries as object).forEach((v) => keys.add(String(v)));
    }
  };
  at.forEach(collect);
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
