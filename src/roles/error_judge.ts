import { z } from 'zod';
import { HistoryCall, LooseCall } from './common';
import { defineRole } from './spec';

/** The five error types of negative trajectories (mDPO). */
export const ERROR_TYPES = [
  'nested_missing',
  'short_dependency',
  'long_dependency',
  'wrong_summary',
  'miss_func_or_params',
] as const;

export const JudgedError = z.object({ type: z.enum(ERROR_TYPES), detail: z.string() });
export type JudgedError = z.infer<typeof JudgedError>;

/** Labels what a student's answer to a turn got wrong, compared with the reference calls. */
export const errorJudge = defineRole({
  name: 'error_judge',
  // 2: the task's shared parts first (roles/layout.ts)
  version: 2,
  system: `You compare a model's answer to one turn with the reference answer and label its errors. Types:
"nested_missing" (a call the request implies was left out), "short_dependency" (an output of a call in this turn was not used correctly by a later call of the turn), "long_dependency" (a value from an earlier turn was not used, or was asked for again or invented), "wrong_summary" (the text invents or omits results), "miss_func_or_params" (called a tool although the needed tool or a required value was missing, or refused although everything was available).
Answer with JSON: {"errors": [{"type": "<type>", "detail": "<short>"}]} — an empty list when the answer is correct.`,
  input: z.object({
    query: z.string(),
    labels: z.array(z.string()),
    previousQueries: z.array(z.string()),
    history: z.array(HistoryCall),
    reference: z.array(LooseCall),
    candidate: z.array(LooseCall),
  }),
  output: z.object({ errors: z.array(JudgedError) }),
  accept: (answer) => ({ ok: true, value: answer.errors }),
});
