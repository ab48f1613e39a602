import type { ExecutedCall } from '../core/conversation';
import { FailureType } from '../core/failures';
import type { Fsp, FspTurn } from '../core/ops';
import type { FunctionDef } from '../core/pool';
import { deriveSeed } from '../core/rng';
import { getJson, type Ref } from '../io/artifacts';
import { loadCalls, poolIndex, poolSources } from '../io/stored';
import { toolSetOf } from '../tools/builtin';
import { collectHints, hintsForParam, type EnvHints } from '../core/hints';
import { drawnStatesFor } from '../tools/states';
import { validatorFor } from '../tools/validators';
import type { Json } from '../tools/types';
import type { TurnRef } from '../contracts';

/**
 * What the roles of a turn read: its functions, the earlier calls and queries, the values that exist. The
 * activities and the estimator load it from the artifact store (`loadTurnContext`); the offline rules
 * read it back from a role's task (`turnContext` in ./common).
 */
export interface TurnContext {
  seed: number;
  turnIndex: number;
  turn: FspTurn;
  /** Definitions of the turn's functions, in order. */
  defs: FunctionDef[];
  /** Definition of the function a miss_func turn asks for. */
  missingDef?: FunctionDef;
  /** Calls of earlier turns, oldest first. */
  history: ExecutedCall[];
  /** User queries of earlier turns, oldest first. */
  previousQueries: string[];
  /** Valid values by parameter name in the current tool state (see ToolSet.valueHints). */
  hints?: Record<string, unknown[]>;
  /** Records of the environment (drawn states, earlier outputs) whose values belong together (core/hints). */
  rows?: Record<string, unknown>[];
  /** The failures of the turn's earlier version, when it is written again. */
  feedback?: TurnFeedback;
}

/** A turn that cannot be written: its functions are unknown, or its query lacks a value a call needs. */
export class TranslationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = FailureType.TranslationError;
  }
}

/** Where a turn of a conversation stands: the FSP, the turn, the earlier turns, the tool state before it. */
export interface TurnInput {
  storeDir: string;
  poolRef: Ref;
  seed: number;
  fsp: Fsp;
  turnIndex: number;
  previous: TurnRef[];
  /** Tool state before this turn (for value hints). */
  stateRef?: Ref;
  /** An earlier version of this turn failed: what, so this one is written otherwise (absent: first try). */
  feedback?: TurnFeedback;
  /** Read-only calls made before the turn (activities/observe): what exists now. */
  observedRef?: Ref;
}

/** Why a turn is written again: its calls that failed or could not be made, with their arguments. */
export interface TurnFeedback {
  attempt: number;
  failures: { name: string; error: string; arguments: Record<string, unknown> }[];
}

/**
 * What the environment holds before the turn, outside the built-in sets: the drawn states of the sources of
 * the turn's functions and the outputs of the conversation's calls that succeeded.
 */
async function environmentHints(
  input: TurnInput,
  defs: FunctionDef[],
  history: readonly ExecutedCall[],
): Promise<EnvHints> {
  const env: EnvHints = { values: {}, rows: [] };
  const drawn = drawnStatesFor(await poolSources(input.storeDir, input.poolRef), defs, input.seed);
  for (const d of Object.values(drawn)) collectHints(d.state, env);
  for (const c of history) if (!c.error) collectHints(c.output, env);
  if (input.observedRef)
    for (const o of (await getJson(input.storeDir, input.observedRef)) as { output: unknown }[])
      collectHints(o.output, env);
  return env;
}

/** Valid values for parameters from the built-in tool sets' state and the environment before the turn. */
async function hintsFor(
  input: TurnInput,
  defs: FunctionDef[],
  history: readonly ExecutedCall[],
): Promise<{ hints: Record<string, unknown[]>; rows: Record<string, unknown>[] }> {
  const states = await loadStates(input.storeDir, input.stateRef);
  const hints: Record<string, unknown[]> = {};
  const seen = new Set<string>();
  for (const def of defs) {
    const set = toolSetOf(def);
    if (!set?.valueHints || seen.has(set.name)) continue;
    seen.add(set.name);
    const state = states[set.name] ?? set.initialState(deriveSeed(input.seed, 'state', set.name));
    for (const [k, v] of Object.entries(set.valueHints(state))) hints[k] ??= v;
  }
  const env = await environmentHints(input, defs, history);
  for (const def of defs)
    for (const [param, schema] of Object.entries(def.parameters.properties)) {
      if (hints[param]?.length) continue;
      const found = hintsForParam(env, def, param, (v) => validatorFor(schema)(v));
      if (found.length) hints[param] = found;
    }
  return { hints, rows: env.rows };
}

/** A turn's context, read from the artifact store. */
export async function loadTurnContext(input: TurnInput): Promise<TurnContext> {
  const pool = await poolIndex(input.storeDir, input.poolRef);
  const turn = input.fsp.turns[input.turnIndex];
  if (!turn) throw new TranslationError(`turn ${input.turnIndex} is not in the FSP`);
  const lookup = (name: string): FunctionDef => {
    const def = pool.get(name);
    if (!def) throw new TranslationError(`function ${name} is not in the pool`);
    return def;
  };
  const history = await loadHistory(input.storeDir, input.previous);
  const defs = turn.functions.map((f) => lookup(f.name));
  const missingDef = turn.missing ? lookup(turn.missing.function) : undefined;
  return {
    seed: input.seed,
    turnIndex: input.turnIndex,
    turn,
    defs,
    missingDef,
    history,
    previousQueries: input.previous.map((t) => t.query),
    ...(await hintsFor(input, missingDef ? [...defs, missingDef] : defs, history)),
    ...(input.feedback ? { feedback: input.feedback } : {}),
  };
}

/** Every call of the given earlier turns, oldest first. */
export async function loadHistory(storeDir: string, turns: readonly TurnRef[]): Promise<ExecutedCall[]> {
  const history: ExecutedCall[] = [];
  for (const t of turns) if (t.callsRef) history.push(...(await loadCalls(storeDir, t.callsRef)));
  return history;
}

/** Tool-set states by name at a point of the conversation (none yet: every set starts from its seed). */
export async function loadStates(storeDir: string, ref: Ref | undefined): Promise<Record<string, Json>> {
  return ref ? ((await getJson(storeDir, ref)) as Record<string, Json>) : {};
}
