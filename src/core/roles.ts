import { z } from 'zod';
import { ExecutedCall } from './conversation';
import { Relation } from './graph';
import { FspTurn } from './ops';
import { JsonSchema, ParametersSchema } from './pool';

/**
 * Inputs and outputs of every LLM role, validated on both sides: inputs are what the prompt's JSON block
 * holds; outputs are what a model must answer (anything else is repaired once, then a turn failure).
 */
export const FnLite = z.object({
  name: z.string(),
  description: z.string(),
  parameters: ParametersSchema,
  output: JsonSchema.optional(),
});
export type FnLite = z.infer<typeof FnLite>;

export const DependencyJudgeInput = z.object({ function: FnLite, candidates: z.array(FnLite) });
export const DependencyJudgeOutput = z.object({
  edges: z.array(
    z.object({
      to: z.string(),
      relation: Relation,
      feeds: z.array(z.object({ param: z.string(), field: z.string() })).default([]),
      reason: z.string().optional(),
    }),
  ),
});

export const NestedJudgeInput = z.object({ function: FnLite, candidates: z.array(FnLite) });
export const NestedJudgeOutput = z.object({
  nested: z.array(z.object({ name: z.string(), reason: z.string().optional() })),
});

export const HistoryCall = ExecutedCall.pick({
  id: true,
  name: true,
  arguments: true,
  output: true,
  error: true,
});

export const TurnTask = z.object({
  turnIndex: z.number().int(),
  turn: FspTurn,
  functions: z.array(FnLite),
  missingFunction: FnLite.optional(),
  history: z.array(HistoryCall),
  previousQueries: z.array(z.string()),
  /** Values that exist in the environment (files, users, bookings...), by parameter name. */
  environment: z.record(z.string(), z.array(z.unknown())).optional(),
});
export type TurnTask = z.infer<typeof TurnTask>;

export const BackTranslateOutput = z.object({ query: z.string().min(1) });

export const ForthTranslateInput = TurnTask.extend({ query: z.string() });
/** An argument is a value, or `{"$from": "<call id>.<field>"}` for an output of an earlier call of the turn. */
export const ForthTranslateOutput = z.object({
  calls: z.array(z.object({ name: z.string(), arguments: z.record(z.string(), z.unknown()) })),
});

export const SimulateInput = z.object({
  function: FnLite,
  arguments: z.record(z.string(), z.unknown()),
  history: z.array(HistoryCall),
});
export const SimulateOutput = z.object({ output: z.unknown() });

export const TeacherInput = TurnTask.extend({
  query: z.string(),
  calls: z.array(HistoryCall),
  /** Call ids grouped in the order they run: ids in one group are parallel. */
  steps: z.array(z.array(z.string())),
});
export const TeacherOutput = z.object({ steps: z.array(z.string()), final: z.string().min(1) });

/**
 * Negative trajectories (mDPO): a student model answers a turn as it would at inference time (it sees the
 * conversation's tools, never the reference); an error judge labels what it got wrong; the teacher then
 * writes a realistic rejected answer around those wrong calls.
 */
export const ERROR_TYPES = [
  'nested_missing',
  'short_dependency',
  'long_dependency',
  'wrong_summary',
  'miss_func_or_params',
] as const;
export const ErrorType = z.enum(ERROR_TYPES);

export const LooseCall = z.object({
  name: z.string(),
  arguments: z.record(z.string(), z.unknown()).default({}),
});

export const StudentInput = z.object({
  turnIndex: z.number().int(),
  query: z.string(),
  previousQueries: z.array(z.string()),
  history: z.array(HistoryCall),
  tools: z.array(FnLite),
  /** Which of the n samples this is (samples differ; each is cached on its own). */
  sample: z.number().int(),
});
export const StudentOutput = z.object({ calls: z.array(LooseCall), final: z.string().optional() });

export const ErrorJudgeInput = z.object({
  query: z.string(),
  labels: z.array(z.string()),
  previousQueries: z.array(z.string()),
  history: z.array(HistoryCall),
  reference: z.array(LooseCall),
  candidate: z.array(LooseCall),
});
export const ErrorJudgeOutput = z.object({
  errors: z.array(z.object({ type: ErrorType, detail: z.string() })),
});

export const NegativeTeacherInput = TeacherInput.extend({
  /** What the wrong answer got wrong, so the regenerated turn shows exactly that mistake. */
  errors: z.array(z.object({ type: ErrorType, detail: z.string() })),
});
