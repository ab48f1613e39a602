import type { ConversationRecord } from '../core/conversation';
import { outsideSourceOf, type FunctionDef } from '../core/pool';
import { deriveSeed } from '../core/rng';
import { toolSetOf } from '../tools/builtin';
import { isPythonCallName, pyCall } from './pyrepr';
import { exportedTools, providedPairs } from './rows';

/**
 * BFCL's multi-turn test entries (`BFCL_v3_multi_turn_*.json`, JSON lines) and their possible answers.
 * BFCL's classes are our function categories; a class's state before the first turn is the built-in tool
 * set's seeded initial state, exactly what the conversation was executed against.
 */
export interface BfclEntry {
  id: string;
  /** Per turn, the messages the model sees before answering (one user message for every MAGNET turn). */
  question: { role: 'user'; content: string }[][];
  initial_config: Record<string, unknown>;
  /** `Class.function` of every call, in order. */
  path: string[];
  involved_classes: string[];
  /**
   * Functions held back until turn N (`{"N": [names]}`, N an index of `question`), as in BFCL's miss_func
   * category: a miss_func turn's ground truth is `[]` (the model should say it cannot); when a later turn
   * provides the function (ops.provideFuncProb), that turn's question is `[]` (BFCL's harness adds the
   * function and its own "I have updated some more functions..." message) and its ground truth calls it.
   * Empty when no turn provides a function.
   */
  missed_function: Record<string, string[]>;
}

export interface BfclAnswer {
  id: string;
  /** Per turn, the expected calls as Python source; `[]` where no call is expected. */
  ground_truth: string[][];
}

/** BFCL's id: category prefix and a number (BFCL sorts and groups entries by the prefix). */
export function bfclId(rec: ConversationRecord): string {
  return `multi_turn_magnet_${rec.index}`;
}

/**
 * A function's name in BFCL's files: the name its source gave (`uber.ride`, as BFCL's own live functions are
 * named), where magnet made it safe for providers (`uber_ride`, core/names); BFCL's checker reads the
 * original. Records and the chat exports keep the safe name, the one models call.
 */
export function bfclName(name: string, pool?: ReadonlyMap<string, FunctionDef>): string {
  return pool?.get(name)?.originalName ?? name;
}

/** Why a conversation cannot be a BFCL entry (names Python cannot call), or undefined. */
export function bfclProblem(
  rec: ConversationRecord,
  pool?: ReadonlyMap<string, FunctionDef>,
): string | undefined {
  for (const t of rec.turns)
    for (const c of t.calls) {
      const name = bfclName(c.name, pool);
      if (!isPythonCallName(name)) return `function name ${name} is not a Python identifier`;
    }
  return undefined;
}

export function toBfcl(
  rec: ConversationRecord,
  pool: ReadonlyMap<string, FunctionDef>,
): { entry: BfclEntry; answer: BfclAnswer } {
  // a source that declares its states is one BFCL class (`bfclClass`, default its name), whose initial
  // config is the state the conversation drew; other functions keep their category
  const sourceOf = (name: string): string | undefined => {
    const src = outsideSourceOf(pool.get(name));
    return src !== undefined && rec.environment?.[src] ? src : undefined;
  };
  const category = (name: string): string => {
    const def = pool.get(name);
    if (!def) throw new Error(`${rec.id}: tool ${name} is not in the pool`);
    const src = sourceOf(name);
    return src !== undefined ? (rec.environment?.[src]?.bfclClass ?? src) : def.category;
  };
  const id = bfclId(rec);
  const initial: Record<string, unknown> = {};
  for (const t of rec.turns)
    for (const c of t.calls) {
      const def = pool.get(c.name);
      const set = c.executor === 'builtin' && def ? toolSetOf(def) : undefined;
      const src = sourceOf(c.name);
      if (category(c.name) in initial) continue;
      if (set)
        initial[category(c.name)] = set.initialState(deriveSeed(rec.provenance.seed, 'state', set.name));
      else if (src !== undefined) initial[category(c.name)] = rec.environment?.[src]?.state ?? null;
    }
  // a providing turn is BFCL's held-out turn only after the miss_func turn it answers (both exported)
  const missed: Record<string, string[]> = {};
  const pairs = providedPairs(rec);
  const question = rec.turns.map((t, n): BfclEntry['question'][number] => {
    const held = (t.adds ?? []).filter((fn) => pairs.some((p) => p.provides === t && p.fn === fn));
    if (held.length === 0) return [{ role: 'user', content: t.query }];
    missed[String(n)] = held.map((fn) => bfclName(fn, pool));
    return [];
  });
  return {
    entry: {
      id,
      question,
      initial_config: initial,
      path: rec.turns.flatMap((t) => t.calls.map((c) => `${category(c.name)}.${bfclName(c.name, pool)}`)),
      involved_classes: [...new Set(exportedTools(rec).map(category))].sort(),
      missed_function: missed,
    },
    answer: {
      id,
      ground_truth: rec.turns.map((t) => t.calls.map((c) => pyCall(bfclName(c.name, pool), c.arguments))),
    },
  };
}

/** BFCL's function doc for a class: one JSON line per function (name as the source gave it, description, parameters). */
export function bfclFunctionDoc(def: FunctionDef): Record<string, unknown> {
  return {
    name: def.originalName ?? def.name,
    description: def.description,
    parameters: def.parameters,
    ...(def.output ? { response: def.output } : {}),
  };
}

/**
 * BFCL's category of a record. Multi-turn conversations are `multi_turn` entries (above). Single-turn items
 * take BFCL's non-live categories, decided by what is offered and called: one call with one function
 * offered is `simple`, with several offered `multiple`; one function called several times, offered alone,
 * is `parallel`; several calls among several offered functions `parallel_multiple`; no call is `irrelevance`
 * (a miss_params item too: BFCL has no single-turn category for a missing value, and the answer to score
 * is the same, no call).
 */
export type BfclCategory =
  'multi_turn' | 'simple' | 'multiple' | 'parallel' | 'parallel_multiple' | 'irrelevance';

export function bfclCategory(rec: ConversationRecord): BfclCategory {
  if (rec.kind === 'multi_turn') return 'multi_turn';
  const calls = rec.turns.flatMap((t) => t.calls);
  if (calls.length === 0) return 'irrelevance';
  if (calls.length === 1) return rec.tools.length > 1 ? 'multiple' : 'simple';
  return rec.tools.length > 1 ? 'parallel_multiple' : 'parallel';
}

/** BFCL's file of a category (its .json files hold JSON lines). */
export function bfclFile(category: BfclCategory): string {
  return `BFCL_v3_${category}_magnet.json`;
}

/** A single-turn BFCL entry: the question and the functions offered (docs inline, as BFCL's non-live sets). */
export interface BfclSingleEntry {
  id: string;
  question: { role: 'user'; content: string }[][];
  function: Record<string, unknown>[];
}

/** Its possible answer: per expected call, `{function: {param: [accepted values]}}` (no file for irrelevance). */
export interface BfclSingleAnswer {
  id: string;
  ground_truth: Record<string, Record<string, unknown[]>>[];
}

export function toBfclSingle(
  rec: ConversationRecord,
  pool: ReadonlyMap<string, FunctionDef>,
): { category: BfclCategory; entry: BfclSingleEntry; answer?: BfclSingleAnswer } {
  const category = bfclCategory(rec);
  const id = `${category}_magnet_${rec.index}`;
  const docs = rec.tools.map((n) => {
    const def = pool.get(n);
    if (!def) throw new Error(`${rec.id}: tool ${n} is not in the pool`);
    return bfclFunctionDoc(def);
  });
  const calls = rec.turns.flatMap((t) => t.calls);
  return {
    category,
    entry: { id, question: rec.turns.map((t) => [{ role: 'user', content: t.query }]), function: docs },
    ...(category === 'irrelevance'
      ? {}
      : {
          answer: {
            id,
            ground_truth: calls.map((c) => ({
              [bfclName(c.name, pool)]: Object.fromEntries(
                Object.entries(c.arguments).map(([k, v]) => [k, [v]]),
              ),
            })),
          },
        }),
  };
}
