import { z } from 'zod';
import { ExecutedCall } from '../core/conversation';
import { FspTurn } from '../core/ops';
import { JsonSchema, ParametersSchema, type FunctionDef } from '../core/pool';
import type { TurnContext } from './context';

/**
 * What several roles' prompts hold: functions as a model sees them, earlier calls, a turn's task. Built
 * here from the pipeline's records, and read back into them for the offline rules.
 */
export const FnLite = z.object({
  name: z.string(),
  description: z.string(),
  parameters: ParametersSchema,
  output: JsonSchema.optional(),
});
export type FnLite = z.infer<typeof FnLite>;

/** A function and the ones it may feed: what both graph judges look at. */
export const JudgeTask = z.object({ function: FnLite, candidates: z.array(FnLite) });

export const HistoryCall = ExecutedCall.pick({
  id: true,
  name: true,
  arguments: true,
  output: true,
  error: true,
});
export type HistoryCall = z.infer<typeof HistoryCall>;

export const TurnTask = z.object({
  turnIndex: z.number().int(),
  turn: FspTurn,
  functions: z.array(FnLite),
  missingFunction: FnLite.optional(),
  history: z.array(HistoryCall),
  previousQueries: z.array(z.string()),
  /** Values that exist in the environment (files, users, bookings...), by parameter name. */
  environment: z.record(z.string(), z.array(z.unknown())).optional(),
  /** Records in the environment whose values go together (a user and their password); absent when none. */
  environmentRows: z.array(z.record(z.string(), z.unknown())).optional(),
  /** An earlier version of this turn whose calls failed: write it otherwise (other values that exist). */
  feedback: z
    .object({
      attempt: z.number().int(),
      failures: z.array(
        z.object({ name: z.string(), error: z.string(), arguments: z.record(z.string(), z.unknown()) }),
      ),
    })
    .optional(),
});
export type TurnTask = z.infer<typeof TurnTask>;

/** A call as a model writes it; students may call anything, so only the shape is fixed. */
export const LooseCall = z.object({
  name: z.string(),
  arguments: z.record(z.string(), z.unknown()).default({}),
});

export function lite(f: FunctionDef): FnLite {
  return { name: f.name, description: f.description, parameters: f.parameters, output: f.output };
}

/** Earlier calls as prompts show them: what was called and what came back, not how it was planned. */
export function historyCalls(calls: readonly ExecutedCall[]): HistoryCall[] {
  return calls.map((c) => ({
    id: c.id,
    name: c.name,
    arguments: c.arguments,
    output: c.output,
    error: c.error,
  }));
}

export function turnTask(ctx: TurnContext): TurnTask {
  return {
    turnIndex: ctx.turnIndex,
    turn: ctx.turn,
    functions: ctx.defs.map(lite),
    missingFunction: ctx.missingDef ? lite(ctx.missingDef) : undefined,
    history: historyCalls(ctx.history),
    previousQueries: ctx.previousQueries,
    environment: ctx.hints,
    ...(ctx.rows?.length ? { environmentRows: ctx.rows } : {}),
    ...(ctx.feedback ? { feedback: ctx.feedback } : {}),
  };
}

/** FnLite lacks category and source; the offline rules and the checks never look at them. */
export function fnAsDef(fn: FnLite): FunctionDef {
  return { ...fn, category: 'prompt', source: { file: 'prompt', item: fn.name } } as FunctionDef;
}

export function asExecuted(c: HistoryCall): ExecutedCall {
  return { ...c, sources: {}, after: [], executor: 'simulated' };
}

/** The offline rules' view of a turn task: what `turnTask` dropped they do not read. */
export function turnContext(task: TurnTask, seed: number): TurnContext {
  return {
    seed,
    turnIndex: task.turnIndex,
    turn: task.turn,
    defs: task.functions.map(fnAsDef),
    missingDef: task.missingFunction ? fnAsDef(task.missingFunction) : undefined,
    history: task.history.map(asExecuted),
    previousQueries: task.previousQueries,
    hints: task.environment,
    rows: task.environmentRows,
    feedback: task.feedback,
  };
}
