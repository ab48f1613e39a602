import { z } from 'zod';
import type { Edge } from './graph';
import type { FunctionDef } from './pool';
import type { Rng } from './rng';

/**
 * Node operations (MAGNET stage 4), applied in the paper's order: Merge, then Insert, then Split. Every
 * turn keeps labels saying what was done to it, so the data can be sliced by phenomenon later.
 */
export const TurnLabel = z.enum([
  'walk', // one function of the initial random walk
  'merge', // several walk turns merged: explicit multi-intent
  'insert_short', // a nested function added to this turn, fed by a call of the same turn
  'insert_long', // a nested function added to this turn, fed by an earlier turn's output
  'miss_func', // empty turn: the needed function is not offered
  'miss_params', // empty turn: a required value is missing from the request
  'provides_missing', // the turn after a miss_params turn, where the user supplies the value
  'provides_function', // the turn after a miss_func turn, where the missing function is offered and called
  'parallel', // a single-turn item: one function called with several argument sets
  'multiple', // a single-turn item: several different functions called in one turn
  'tool_error', // a kept turn whose calls failed: the assistant reports the failure (execution.keepErrorTurns)
]);
export type TurnLabel = z.infer<typeof TurnLabel>;

export const TurnFunction = z.object({
  name: z.string(),
  /** walk: asked for explicitly; nested_*: implied by the request, never named in it. */
  via: z.enum(['walk', 'nested_short', 'nested_long']),
  nestedFrom: z.object({ turn: z.number().int(), name: z.string() }).optional(),
});
export type TurnFunction = z.infer<typeof TurnFunction>;

export const Missing = z.object({
  kind: z.enum(['miss_func', 'miss_params']),
  function: z.string(),
  param: z.string().optional(),
});
export type Missing = z.infer<typeof Missing>;

export const FspTurn = z.object({
  functions: z.array(TurnFunction),
  labels: z.array(TurnLabel),
  missing: Missing.optional(),
  /**
   * Functions first offered at this turn (BFCL's missed_function): not among the tools before it, among them
   * from it on. Absent when the turn adds none.
   */
  adds: z.array(z.string()).optional(),
});
export type FspTurn = z.infer<typeof FspTurn>;

export const OpsTrace = z.object({
  mergeBoundaries: z.number().int(),
  merges: z.number().int(),
  insertsShort: z.number().int(),
  insertsLong: z.number().int(),
  split: z.enum(['none', 'miss_func', 'miss_params']),
  /**
   * The kind the Split drew, when it drew one (absent in records of earlier releases): differs from `split`
   * when no turn allowed it (the other kind was used, or none).
   */
  splitWanted: z.enum(['miss_func', 'miss_params']).optional(),
  /** A turn after the miss_func turn provides the missing function (absent: it does not). */
  providesFunction: z.literal(true).optional(),
});

export const Fsp = z.object({ walk: z.array(z.string()), turns: z.array(FspTurn), trace: OpsTrace });
export type Fsp = z.infer<typeof Fsp>;

export const OpsConfig = z
  .object({
    /** Functions in the initial walk (the paper walks 7 steps). */
    walkLength: z.number().int().min(1).max(50).default(7),
    /** Walks shorter than this are resampled (dead ends). */
    minWalkLength: z.number().int().min(1).max(50).default(3),
    /** Probability that two consecutive turns are merged (the paper uses 0.3). */
    mergeProb: z.number().min(0).max(1).default(0.3),
    /** Probability that a turn whose last function has a nested neighbour gets it inserted. */
    insertProb: z.number().min(0).max(1).default(0.5),
    /** Of the inserts, the share placed into a later turn (long dependency) instead of the same turn. */
    longInsertProb: z.number().min(0).max(1).default(0.4),
    /** Probability that a conversation gets a Split (an empty missing-information turn). */
    splitProb: z.number().min(0).max(1).default(0.5),
    /** Of the splits, the share that are miss_func (the rest miss_params). */
    missFuncProb: z.number().min(0).max(1).default(0.5),
    /**
     * Of the miss_func splits, the share where the next turn provides the missing function (offered from that
     * turn on and called there, as BFCL's miss_func category does). 0: the function is never offered.
     */
    provideFuncProb: z.number().min(0).max(1).default(0),
  })
  .strict();
export type OpsConfig = z.infer<typeof OpsConfig>;

/** Merge: every boundary between consecutive turns is removed independently with probability p. */
export function applyMerge(
  walk: readonly string[],
  rng: Rng,
  p: number,
): { turns: FspTurn[]; merges: number } {
  const turns: FspTurn[] = [];
  let merges = 0;
  walk.forEach((name, i) => {
    const fn: TurnFunction = { name, via: 'walk' };
    const prev = turns[turns.length - 1];
    if (i > 0 && prev && rng.chance(p)) {
      prev.functions.push(fn);
      if (!prev.labels.includes('merge')) prev.labels = ['merge'];
      merges++;
    } else {
      turns.push({ functions: [fn], labels: ['walk'] });
    }
  });
  return { turns, merges };
}

/**
 * Insert: for each turn's last function f, maybe add a neighbour u that f's output can feed and that a
 * judge calls "nested" (needed implicitly, not asked for). Same turn = short dependency, a later turn =
 * long dependency. `isNested` carries the judge's decisions (LLM or offline), computed beforehand so this
 * stays pure.
 */
export function applyInsert(
  turns: readonly FspTurn[],
  adjacency: ReadonlyMap<string, readonly Edge[]>,
  isNested: (from: string, to: string) => boolean,
  rng: Rng,
  config: Pick<OpsConfig, 'insertProb' | 'longInsertProb'>,
): { turns: FspTurn[]; short: number; long: number } {
  const out = turns.map((t) => ({ ...t, functions: t.functions.slice(), labels: t.labels.slice() }));
  const used = new Set(out.flatMap((t) => t.functions.map((f) => f.name)));
  const lasts = out.map((t) => t.functions[t.functions.length - 1]?.name);
  let short = 0;
  let long = 0;
  lasts.forEach((last, h) => {
    if (!last) return;
    const options = (adjacency.get(last) ?? [])
      .filter((e) => e.relation !== 'precondition' && e.feeds.length > 0 && !used.has(e.to))
      .filter((e) => isNested(last, e.to))
      .map((e) => e.to);
    if (options.length === 0 || !rng.chance(config.insertProb)) return;
    const u = rng.pick(options);
    used.add(u);
    const canLong = h < out.length - 1;
    if (canLong && rng.chance(config.longInsertProb)) {
      const j = h + 1 + rng.int(out.length - h - 1);
      const target = out[j] as FspTurn;
      target.functions.push({ name: u, via: 'nested_long', nestedFrom: { turn: h, name: last } });
      if (!target.labels.includes('insert_long')) target.labels.push('insert_long');
      long++;
    } else {
      const target = out[h] as FspTurn;
      target.functions.push({ name: u, via: 'nested_short', nestedFrom: { turn: h, name: last } });
      if (!target.labels.includes('insert_short')) target.labels.push('insert_short');
      short++;
    }
  });
  return { turns: out, short, long };
}

/** Required parameters of `fn` that no function called before it in the FSP can feed: the user must say them. */
export function userParams(
  fn: FunctionDef,
  earlier: readonly string[],
  adjacency: ReadonlyMap<string, readonly Edge[]>,
): string[] {
  const fed = new Set<string>();
  for (const v of earlier) {
    for (const e of adjacency.get(v) ?? []) if (e.to === fn.name) e.feeds.forEach((f) => fed.add(f.param));
  }
  return fn.parameters.required.filter((r) => !fed.has(r));
}

/**
 * Split: insert an empty turn. miss_func: after a turn h, the user asks for something only a function that is
 * not offered could do (a graph neighbour of turn h outside the FSP; failing that, a function of the FSP's
 * categories, then any function, outside the FSP). miss_params: before a turn j, the user asks for turn j's
 * first walk function that needs a value from the user but leaves that value out; turn j supplies it (j > 0
 * when some later turn allows it, else the first turn).
 *
 * The kind is drawn first and the place is chosen among the turns where that kind is possible, so each kind
 * happens at its configured rate instead of whenever one random turn happens to allow it. Only when no turn
 * allows the drawn kind is the other one used (`splitFallback`), and only when neither is possible is there no
 * split (`splitWanted` set, `split` none): the run reports both.
 *
 * provideFuncProb: of the miss_func splits, the share where the turn right after the miss_func turn provides
 * the missing function: it `adds` it to the offered tools and calls it (the request of the miss_func turn,
 * now doable). The chance is drawn only for a miss_func split, after every other draw, so conversations
 * without one (and every plan when the probability is 0) are what they were without the option.
 */
export function applySplit(
  turns: readonly FspTurn[],
  pool: ReadonlyMap<string, FunctionDef>,
  adjacency: ReadonlyMap<string, readonly Edge[]>,
  rng: Rng,
  config: Pick<OpsConfig, 'splitProb' | 'missFuncProb'> & Partial<Pick<OpsConfig, 'provideFuncProb'>>,
): {
  turns: FspTurn[];
  split: 'none' | 'miss_func' | 'miss_params';
  wanted?: 'miss_func' | 'miss_params';
  /** The turn after the miss_func turn provides its function. */
  provides?: true;
} {
  const out = turns.map((t) => ({ ...t, functions: t.functions.slice(), labels: t.labels.slice() }));
  if (out.length === 0 || !rng.chance(config.splitProb)) return { turns: out, split: 'none' };
  const wanted = rng.chance(config.missFuncProb) ? 'miss_func' : 'miss_params';
  const inFsp = new Set(out.flatMap((t) => t.functions.map((f) => f.name)));
  const missFunc = (): { at: number; missing: Missing } | undefined => {
    // graph neighbours first: what a user of these functions plausibly asks for next
    const near = out.map((t) =>
      [...new Set(t.functions.flatMap((f) => (adjacency.get(f.name) ?? []).map((e) => e.to)))]
        .filter((n) => !inFsp.has(n))
        .sort(),
    );
    const places = near.flatMap((options, h) => (options.length > 0 ? [h] : []));
    if (places.length > 0) {
      const h = rng.pick(places);
      return { at: h + 1, missing: { kind: 'miss_func', function: rng.pick(near[h] as string[]) } };
    }
    const categories = new Set([...inFsp].map((n) => pool.get(n)?.category));
    const outside = [...pool.keys()].filter((n) => !inFsp.has(n)).sort();
    const related = outside.filter((n) => categories.has(pool.get(n)?.category));
    const options = related.length > 0 ? related : outside;
    if (options.length === 0) return undefined;
    return { at: rng.int(out.length) + 1, missing: { kind: 'miss_func', function: rng.pick(options) } };
  };
  const missParams = (): { at: number; missing: Missing } | undefined => {
    const places: { at: number; function: string; params: string[] }[] = [];
    // after a turn first, as the paper puts it; before the first turn only when no later turn allows it
    // (walks follow edges that feed the next function, so often only the first function needs user values)
    for (let j = 1; j < out.length; j++) {
      const earlier = out.slice(0, j).flatMap((t) => t.functions.map((f) => f.name));
      for (const f of (out[j] as FspTurn).functions) {
        const def = f.via === 'walk' ? pool.get(f.name) : undefined;
        const params = def ? userParams(def, earlier, adjacency) : [];
        if (params.length > 0) {
          places.push({ at: j, function: f.name, params });
          break;
        }
        earlier.push(f.name);
      }
    }
    if (places.length === 0) {
      const first = (out[0] as FspTurn).functions.find((f) => f.via === 'walk');
      const def = first ? pool.get(first.name) : undefined;
      if (def && def.parameters.required.length > 0)
        places.push({ at: 0, function: def.name, params: def.parameters.required.slice() });
    }
    if (places.length === 0) return undefined;
    const p = rng.pick(places);
    return { at: p.at, missing: { kind: 'miss_params', function: p.function, param: rng.pick(p.params) } };
  };
  const chosen = wanted === 'miss_func' ? (missFunc() ?? missParams()) : (missParams() ?? missFunc());
  if (!chosen) return { turns: out, split: 'none', wanted };
  const { at, missing } = chosen;
  out.splice(at, 0, { functions: [], labels: [missing.kind], missing });
  if (missing.kind === 'miss_params') (out[at + 1] as FspTurn).labels.push('provides_missing');
  // absent in inputs of earlier releases: 0 (never provided)
  if (missing.kind === 'miss_func' && rng.chance(config.provideFuncProb ?? 0)) {
    out.splice(at + 1, 0, {
      functions: [{ name: missing.function, via: 'walk' }],
      labels: ['provides_function'],
      adds: [missing.function],
    });
    return { turns: out, split: missing.kind, wanted, provides: true };
  }
  return { turns: out, split: missing.kind, wanted };
}
