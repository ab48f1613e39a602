import { z } from 'zod';
import { DrawnState } from './environment';
import { GroundingRecord } from './grounding';
import { Kind } from './mix';
import { Fsp, Missing, TurnFunction, TurnLabel } from './ops';
import { QualityRecord } from './quality';

/** Where an argument value came from; dependencies are what MAGNET is about, so we keep them explicit. */
export const ArgSource = z.union([
  z.object({ kind: z.literal('query'), turn: z.number().int() }),
  z.object({ kind: z.literal('call'), call: z.string(), field: z.string() }),
  z.object({ kind: z.literal('default') }),
]);
export type ArgSource = z.infer<typeof ArgSource>;

/** A planned call: argument values, or references to outputs of earlier calls of the same turn. */
export const PlannedCall = z.object({
  id: z.string(),
  name: z.string(),
  arguments: z.record(z.string(), z.unknown()),
  /** Params whose value is a field of another call's output in this turn, resolved at execution. */
  refs: z.record(z.string(), z.object({ call: z.string(), field: z.string() })).default({}),
  sources: z.record(z.string(), ArgSource),
});
export type PlannedCall = z.infer<typeof PlannedCall>;

export const ExecutedCall = z.object({
  id: z.string(),
  name: z.string(),
  arguments: z.record(z.string(), z.unknown()),
  sources: z.record(z.string(), ArgSource),
  /** Calls of the same turn this one waited for (it used their outputs). */
  after: z.array(z.string()),
  output: z.unknown(),
  error: z.string().optional(),
  /**
   * `ok`, or `tool_error`: the tool answered that the call failed (an MCP isError, an HTTP 4xx, an error object
   * in the output), the reason in `error`. Absent in records of earlier releases (an `error` meant a failure).
   */
  outcome: z.enum(['ok', 'tool_error']).optional(),
  /** Who executed it: builtin, simulated, http, or mcp:<server> (`mcp` alone in records of earlier releases). */
  executor: z.union([z.enum(['builtin', 'simulated', 'http', 'mcp']), z.string().regex(/^mcp:.+$/)]),
  /**
   * Before this call, the conversation's state on an outside server was rebuilt (a retried turn, another
   * worker): its recorded calls ran again on a fresh server; `differences` where it answered otherwise.
   */
  rebuilt: z
    .array(z.object({ source: z.string(), calls: z.number().int(), differences: z.array(z.string()) }))
    .optional(),
});
export type ExecutedCall = z.infer<typeof ExecutedCall>;

export const AssistantTurn = z.object({
  /** Text accompanying each step of tool calls (calls of a step run in parallel). */
  steps: z.array(z.string()),
  /** The answer after the tool results (or the clarification, for empty turns). */
  final: z.string(),
});
export type AssistantTurn = z.infer<typeof AssistantTurn>;

/** A rejected version of a turn (mDPO): a student's wrong calls, really executed, worded by the teacher. */
export const NegativeTurn = z.object({
  sample: z.number().int(),
  errors: z.array(z.object({ type: z.string(), detail: z.string() })),
  calls: z.array(ExecutedCall),
  assistant: AssistantTurn,
});
export type NegativeTurn = z.infer<typeof NegativeTurn>;

export const TurnRecord = z.object({
  index: z.number().int(),
  labels: z.array(TurnLabel),
  functions: z.array(TurnFunction),
  missing: Missing.optional(),
  /** Functions first offered at this turn (from the FSP turn); absent when it adds none. */
  adds: z.array(z.string()).optional(),
  query: z.string(),
  calls: z.array(ExecutedCall),
  assistant: AssistantTurn,
  negatives: z.array(NegativeTurn).default([]),
  /** How many times the turn was written again because its calls failed (execution.regenerate); absent: 0. */
  regenerated: z.number().int().optional(),
  /** Read-only calls made on the outside servers before the turn was written: context, never exported. */
  observed: z
    .array(z.object({ name: z.string(), arguments: z.record(z.string(), z.unknown()), output: z.unknown() }))
    .optional(),
});
export type TurnRecord = z.infer<typeof TurnRecord>;

/** Negatives of a turn that could not be made (the student or the negative teacher failed for good). */
export const NegativeFailure = z.object({
  turn: z.number().int(),
  stage: z.string(),
  type: z.string(),
  message: z.string(),
});
export type NegativeFailure = z.infer<typeof NegativeFailure>;

export const Provenance = z.object({
  /** "offline" marks rule-based synthetic data: useful to test pipelines, not to train a model. */
  backend: z.string(),
  models: z.record(z.string(), z.string()),
  seed: z.number().int(),
  generator: z.string(),
  note: z.string().optional(),
});
export type Provenance = z.infer<typeof Provenance>;

export const ConversationRecord = z.object({
  id: z.string(),
  runId: z.string(),
  index: z.number().int(),
  /** What the item is in the mix (core/mix.ts); records of earlier releases are all multi_turn. */
  kind: Kind,
  fsp: Fsp,
  /** Tools offered by the end of the conversation; the tools of a turn are `offeredAt` (core/plan). */
  tools: z.array(z.string()),
  /**
   * The names the sources gave to tools renamed for providers (core/names safeName), by the name the record
   * uses (`{"uber_ride": "uber.ride"}`); absent when no tool was renamed. Calls name the safe name, the one the
   * model called; the BFCL export writes the original.
   */
  originalNames: z.record(z.string(), z.string()).optional(),
  turns: z.array(TurnRecord),
  stats: z.object({
    turns: z.number().int(),
    calls: z.number().int(),
    failedCalls: z.number().int(),
    negatives: z.number().int().default(0),
  }),
  provenance: Provenance,
  /** mDPO negatives that failed: the positive record is kept without them, and says which are missing. */
  negativeFailures: z.array(NegativeFailure).optional(),
  /** The quality filter's scores and the turns it removed (absent when the turns were not judged). */
  quality: QualityRecord.optional(),
  /**
   * The state each stateful source the conversation uses started from (and its setup calls), by source name:
   * replaying the calls on a fresh instance from it gives the recorded outputs. Absent when none declares one.
   */
  environment: z.record(z.string(), DrawnState).optional(),
  /** Turns removed because their calls failed or were not made, and failed turns kept labelled (core/grounding). */
  grounding: GroundingRecord.optional(),
});
export type ConversationRecord = z.infer<typeof ConversationRecord>;

/** A record's stats over the turns it holds. */
export function recordStats(turns: readonly TurnRecord[]): ConversationRecord['stats'] {
  const calls = turns.flatMap((t) => t.calls);
  return {
    turns: turns.length,
    calls: calls.length,
    failedCalls: calls.filter((c) => c.error).length,
    negatives: turns.reduce((n, t) => n + t.negatives.length, 0),
  };
}

/**
 * Groups a turn's calls into steps: a call goes into the first step after every call it depends on, so
 * independent calls are emitted together (parallel tool calls) and dependent ones after their inputs.
 */
export function callSteps(calls: readonly ExecutedCall[]): ExecutedCall[][] {
  const level = new Map<string, number>();
  const steps: ExecutedCall[][] = [];
  for (const c of calls) {
    const l = c.after.reduce((m, id) => Math.max(m, (level.get(id) ?? -1) + 1), 0);
    level.set(c.id, l);
    (steps[l] ??= []).push(c);
  }
  return steps.filter((s) => s.length > 0);
}
