import { z } from 'zod';
import { ArgSource, type AssistantTurn, type ExecutedCall } from '../core/conversation';
import { QualityVerdict } from '../core/quality';
import { fnAsDef, HistoryCall, turnTask, TurnTask } from './common';
import type { TurnContext } from './context';
import { offlineQualityJudge } from './offline/quality_judge';
import { defineRole } from './spec';

/** A finished turn as the judge sees it: the task, the query, the calls with their results, the answer. */
export const QualityInput = TurnTask.extend({
  query: z.string(),
  calls: z.array(HistoryCall.extend({ sources: z.record(z.string(), ArgSource) })),
  answer: z.object({ steps: z.array(z.string()), final: z.string() }),
});
export type QualityInput = z.infer<typeof QualityInput>;

export function qualityTask(
  ctx: TurnContext,
  query: string,
  calls: readonly ExecutedCall[],
  answer: AssistantTurn,
): QualityInput {
  return {
    ...turnTask(ctx),
    query,
    calls: calls.map((c) => ({
      id: c.id,
      name: c.name,
      arguments: c.arguments,
      sources: c.sources,
      output: c.output,
      error: c.error,
    })),
    answer: { steps: answer.steps, final: answer.final },
  };
}

/** Scores one finished turn on three checks; the filter drops turns below the configured threshold. */
export const qualityJudge = defineRole({
  name: 'quality_judge',
  // 3: the task's shared parts first (roles/layout.ts)
  version: 3,
  system: `You review one turn of a synthetic tool-use conversation before it becomes training data. You get the user's message, the functions of the turn (via "walk": asked for explicitly; "nested_*": implied, never named), the tool calls made with where each argument came from ("sources") and their results, earlier calls and messages, and the assistant's answer. Score three checks from 0 (bad) to 1 (good), each with a short reason:
"intent": does the message ask for what the calls do (for a turn with "missing": does it ask for the missing function or leave out the missing value), and is nothing called that was not asked for or implied?
"grounding": is every argument value (each value inside an object or list too) stated in the message or an earlier one, taken from an earlier result (or, passed by reference, from a result of an earlier call of this turn), or one of the values the environment holds ("environment", "environmentRows"), rather than invented? A value whose source is "default" needs none; an enum value the message names counts as stated.
"faithfulness": does the answer say only what the results say (no invented values), report failed calls as failures, and for a turn with "missing" decline (missing function) or ask for the value?
Answer with JSON: {"intent": {"score": <0..1>, "reason": "<short>"}, "grounding": {...}, "faithfulness": {...}}.`,
  input: QualityInput,
  output: QualityVerdict,
  accept: (answer) => ({ ok: true, value: answer }),
  offline: (input) =>
    offlineQualityJudge({
      query: input.query,
      previousQueries: input.previousQueries,
      turn: input.turn,
      defs: input.functions.map(fnAsDef),
      missingDef: input.missingFunction ? fnAsDef(input.missingFunction) : undefined,
      calls: input.calls,
      history: input.history,
      answer: input.answer,
      environment: input.environment,
      environmentRows: input.environmentRows,
    }),
});
