import { FixtureState } from './environment';
import type { FunctionDef } from './pool';
import { tokens } from './text';

/**
 * Values that exist in a conversation's environment, for the generator to use instead of inventing them: a
 * made-up id ("id-8739") fails on a real server, the id the state or an earlier output holds does not.
 * `values`: every scalar found under a key, by key name. `rows`: objects with several scalar fields (a user
 * with its password, an account with its owner), so values that belong together are used together.
 */
export interface EnvHints {
  values: Record<string, unknown[]>;
  rows: Record<string, unknown>[];
}

const MAX_PER_KEY = 50;

function isScalar(v: unknown): v is string | number | boolean {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

function add(values: Record<string, unknown[]>, key: string, v: unknown): void {
  const list = (values[key] ??= []);
  if (list.length < MAX_PER_KEY && !list.includes(v)) list.push(v);
}

/** Collects the values and rows of a JSON value (a drawn state, a tool's output) into `into`. */
export function collectHints(json: unknown, into: EnvHints = { values: {}, rows: [] }): EnvHints {
  const fixture = FixtureState.safeParse(json);
  if (fixture.success) {
    // a fixture folder: its files (paths relative to the server's folder) and the folders holding them
    for (const file of Object.keys(fixture.data.files)) {
      add(into.values, '$file', file);
      const parts = file.split('/');
      for (let i = 1; i < parts.length; i++) add(into.values, '$dir', parts.slice(0, i).join('/'));
    }
    return into;
  }
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!v || typeof v !== 'object') return;
    const scalars = Object.entries(v).filter(([, x]) => isScalar(x));
    for (const [k, x] of scalars) add(into.values, k, x);
    if (scalars.length >= 2 && into.rows.length < 100) into.rows.push(Object.fromEntries(scalars));
    for (const x of Object.values(v)) if (x && typeof x === 'object') walk(x);
  };
  walk(json);
  return into;
}

/**
 * The known values a parameter may take: those under its own name, else under the longest key its name ends
 * with (`from_account_id` takes `account_id`'s), else, for a path-like parameter, the fixture's files (or
 * folders, when the function is about folders). `fits` keeps only values the parameter's schema accepts.
 */
export function hintsForParam(
  hints: EnvHints,
  def: FunctionDef,
  param: string,
  fits: (v: unknown) => boolean,
): unknown[] {
  const t = tokens(param);
  const keys = Object.keys(hints.values).filter((k) => !k.startsWith('$'));
  const own = keys.find((k) => k === param);
  const suffix = keys
    .filter((k) => {
      const kt = tokens(k);
      return kt.length > 0 && kt.length < t.length && kt.every((x, i) => t[t.length - kt.length + i] === x);
    })
    .sort((a, b) => tokens(b).length - tokens(a).length)[0];
  let found = hints.values[own ?? suffix ?? ''] ?? [];
  if (
    found.length === 0 &&
    t.some((x) => ['path', 'file', 'filename', 'source', 'destination'].includes(x))
  ) {
    const folders = /director|folder|tree/i.test(def.name);
    found = hints.values[folders ? '$dir' : '$file'] ?? [];
  }
  return found.filter(fits);
}

/** A row holding values for at least two of `params` (the one a seeded pick chose), or undefined. */
export function rowFor(
  hints: EnvHints,
  params: readonly string[],
  pick: (rows: Record<string, unknown>[]) => Record<string, unknown>,
): Record<string, unknown> | undefined {
  const covering = hints.rows.filter((r) => params.filter((p) => p in r).length >= 2);
  if (covering.length === 0) return undefined;
  const best = Math.max(...covering.map((r) => params.filter((p) => p in r).length));
  return pick(covering.filter((r) => params.filter((p) => p in r).length === best));
}
