import type { ConversationRecord } from '../core/conversation';
import type { FunctionDef } from '../core/pool';
import { deriveSeed } from '../core/rng';
import { toolSetOf } from '../tools/builtin';
import { isPythonIdentifier, pyCall } from './pyrepr';

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
   * Functions held back until turn N (`{"N": [names]}`). MAGNET's miss_func turns never offer the missing
   * function later (it is not among the conversation's tools at all), so this stays empty; such a turn's
   * ground truth is `[]`: the model should say it cannot.
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

/** Why a conversation cannot be a BFCL entry (names Python cannot call), or undefined. */
export function bfclProblem(rec: ConversationRecord): string | undefined {
  for (const t of rec.turns)
    for (const c of t.calls)
      if (!isPythonIdentifier(c.name)) return `function name ${c.name} is not a Python identifier`;
  return undefined;
}

export function toBfcl(
  rec: ConversationRecord,
  pool: ReadonlyMap<string, FunctionDef>,
): { entry: BfclEntry; answer: BfclAnswer } {
  const category = (name: string): string => {
    const def = pool.get(name);
    if (!def) throw new Error(`${rec.id}: tool ${name} is not in the pool`);
    return def.category;
  };
  const id = bfclId(rec);
  const initial: Record<string, unknown> = {};
  for (const t of rec.turns)
    for (const c of t.calls) {
      const def = pool.get(c.name);
      const set = c.executor === 'builtin' && def ? toolSetOf(def) : undefined;
      if (set && !(category(c.name) in initial))
        initial[category(c.name)] = set.initialState(deriveSeed(rec.provenance.seed, 'state', set.name));
    }
  return {
    entry: {
      id,
      question: rec.turns.map((t) => [{ role: 'user', content: t.query }]),
      initial_config: initial,
      path: rec.turns.flatMap((t) => t.calls.map((c) => `${category(c.name)}.${c.name}`)),
      involved_classes: [...new Set(rec.tools.map(category))].sort(),
      missed_function: {},
    },
    answer: { id, ground_truth: rec.turns.map((t) => t.calls.map((c) => pyCall(c.name, c.arguments))) },
  };
}

/** BFCL's function doc for a class: one JSON line per function (name, description, parameters). */
export function bfclFunctionDoc(def: FunctionDef): Record<string, unknown> {
  return {
    name: def.name,
    description: def.description,
    parameters: def.parameters,
    ...(def.output ? { response: def.output } : {}),
  };
}
