import type { LlmRole } from './config';

/**
 * The steps of one conversation (MAGNET stages 3-6), in the order the conversation workflow runs them
 * (src/workflows/conversation.ts). The stage names are the ones the workflow shows (its status, failure
 * records, activity summaries); the estimator (src/estimate/rules.ts) walks this list to count requests.
 * The graph (dependency judge) is built once per run, before any conversation: it is not a step here.
 */
export const STAGES = [
  'plan',
  'observe',
  'back-translate',
  'forth-translate',
  'execute',
  'distill',
  'quality',
  'student',
  'negative',
  'write',
] as const;
export type Stage = (typeof STAGES)[number];

/** How often a step's work repeats in a conversation (and asks its role, when it has one). */
export type StepRate = 'conversation' | 'turn' | 'call' | 'sample';

export interface PipelineStep {
  stage: Stage;
  /** The LLM role the step asks; none for a step that asks no model. */
  role?: LlmRole;
  /** Roles the same step asks besides `role` (the student step has the error judge label its answers). */
  alsoRoles?: readonly LlmRole[];
  per: StepRate;
  /**
   * Steps of one pass go over the turns together, turn by turn (a turn's execution feeds the next turn's
   * translation); a pass starts when the previous one has gone over every turn.
   */
  pass: number;
  /** The step may be skipped (the workflow decides from the config and the turn). */
  optional?: boolean;
}

/** The one ordered list of a conversation's steps. */
export const PIPELINE: readonly PipelineStep[] = [
  // the FSP: walk, Merge / Insert / Split; the nested judge is asked once per distinct walk function with
  // feeding neighbours (cached per run), and not at all for single-turn items or an offline judge
  { stage: 'plan', role: 'nested_judge', per: 'conversation', pass: 0 },
  // what exists before each turn (read-only calls on the conversation's outside servers); only for pools
  // with MCP servers or OpenAPI services, and no model is asked
  { stage: 'observe', per: 'turn', pass: 1, optional: true },
  // the user's message of each turn
  { stage: 'back-translate', role: 'back_translate', per: 'turn', pass: 1 },
  // the turn's calls from its message; an empty (missing-information) turn asks nothing
  { stage: 'forth-translate', role: 'forth_translate', per: 'turn', pass: 1 },
  // the calls run (one step per turn that has calls); the simulator plays each call of a function without
  // implementation, when it is a model
  { stage: 'execute', role: 'simulate', per: 'call', pass: 1, optional: true },
  // the positive teacher words each turn around its calls and results, once every turn has run
  { stage: 'distill', role: 'teacher', per: 'turn', pass: 2 },
  // the quality judge scores each distilled turn (rule checks unless a model is configured)
  { stage: 'quality', role: 'quality_judge', per: 'turn', pass: 3, optional: true },
  // mDPO, with an LLM student: `negatives.samples` answers per turn, each that differs from the reference
  // labelled by the error judge
  { stage: 'student', role: 'student', alsoRoles: ['error_judge'], per: 'sample', pass: 4, optional: true },
  // each judged-wrong sample really runs and the negative teacher words it (the rejected turn)
  { stage: 'negative', role: 'negative_teacher', per: 'sample', pass: 4, optional: true },
  // the conversation's record, written once
  { stage: 'write', per: 'conversation', pass: 5 },
];
