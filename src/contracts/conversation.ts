import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ExecutionMode, LlmRole, ResolvedRole } from '../core/config';
import type { AssistantTurn } from '../core/conversation';
import type { Kind } from '../core/mix';
import type { OpsConfig } from '../core/ops';
import type { QualityConfig, QualityVerdict } from '../core/quality';
import type { Usage } from '../core/usage';
import type { Ref } from '../io/artifacts';
import type { CallLimits } from '../tools/safe';

/** The workflow type of one conversation (a child of the run, or of a rerun). */
export const CONVERSATION_WORKFLOW = 'conversation';
/** One item of a run: plan, per turn translate and execute, distill, judge, write the record. */
export type ConversationWorkflow = (input: ConversationInput) => Promise<ConversationResult>;

export interface ConversationInput {
  runId: string;
  id: string;
  index: number;
  seed: number;
  storeDir: string;
  outDir: string;
  poolRef: string;
  graphRef: string;
  ops: OpsConfig;
  distractors: number;
  execution: ExecutionMode;
  /** Timeout and output cap of outside tools' calls (absent in inputs of earlier releases: defaults). */
  executionLimits?: CallLimits;
  /** Share of turns with failed calls kept as labelled tool_error turns (absent in earlier inputs: 0.05). */
  keepErrorTurns?: number;
  /** Times a turn whose calls failed is written again (execution.regenerate; absent in earlier inputs: 0). */
  regenerate?: number;
  taskQueue: string;
  roles: Record<LlmRole, ResolvedRole>;
  /** How long a failed turn waits for a `retryTurn` signal before the conversation ends as failed (ms). */
  failedTurnWaitMs: number;
  /** Student samples per turn for negative trajectories (when a student model is configured). */
  negativeSamples: number;
  /** Whether magnet's search attributes are registered on the namespace (see search-attributes.ts). */
  searchAttributes: boolean;
  /**
   * The item's kind in the run's mix: a single-turn kind plans a one-turn FSP and runs the same steps.
   * Absent in inputs of earlier releases (and of runs without a mix): a multi-turn conversation.
   */
  kind?: Kind;
  /** The pool has MCP servers or OpenAPI services: executing calls is network I/O (absent: it has none). */
  externalTools?: boolean;
  /** The per-turn quality filter; absent in inputs of earlier releases (no judge step then). */
  quality?: QualityConfig;
}

export interface TurnFailure {
  /** Index from 0, as in the record; `where` is the same for people ("turn 2/5 · forth-translate"). */
  turn: number;
  where?: string;
  stage: string;
  type: string;
  message: string;
  /** The model's raw answer, when an LLM answer could not be used. */
  raw?: string;
  /** Its role was found unfit by this failure (llm/fitness): the line the run paused with. */
  unfit?: string;
}

export interface ConversationResult {
  id: string;
  index: number;
  status: 'completed' | 'failed';
  file?: string;
  turns: number;
  calls: number;
  usage: Usage;
  failure?: TurnFailure;
  /** Turns that failed and later succeeded after a retryTurn signal. */
  retried: number;
  /** The item's kind, when the run has a mix. */
  kind?: Kind;
}

export interface ConversationStatus {
  stage: string;
  turn: number;
  turns: number;
  waiting: boolean;
  failure?: TurnFailure;
  usage: Usage;
}

/** Overrides a retry may bring, e.g. {"teacher.model": "gpt-4o", "forth_translate.temperature": "0"}. */
export interface RetryTurnRequest {
  set?: Record<string, string>;
}

/** What an accepted `retryTurn` update answers: the step that runs again. */
export interface RetryTurnAccepted {
  id: string;
  turn: number;
  stage: string;
  where?: string;
  /** The failure being retried. */
  failure: TurnFailure;
}

/** A finished turn as the workflow keeps it: small, with the calls by reference. */
export interface TurnRef {
  query: string;
  callsRef?: Ref;
  assistant?: AssistantTurn;
  /** Tool state before the turn (negative trajectories re-run wrong calls from it). */
  stateBefore?: Ref;
  /** The quality judge's verdict (absent when the run has no judge step: inputs of earlier releases). */
  quality?: QualityVerdict;
  /** How many times the turn was written again because its calls failed (absent: never). */
  regenerated?: number;
  /** Read-only calls made before the turn was written (absent: none). */
  observedRef?: Ref;
  /** Why calls of its last version failed or were not made (`name: error`, at most three; absent: none). */
  failures?: string[];
  /** Rejected versions of the turn for mDPO. */
  negatives?: {
    sample: number;
    errors: { type: string; detail: string }[];
    callsRef: Ref;
    assistant: AssistantTurn;
  }[];
}

export const conversationStatusQuery = defineQuery<ConversationStatus>('conversationStatus');
/**
 * Overrides of roles for a running conversation or graph, from then on (the run forwards `magnet resume
 * --set`): no step runs again because of it.
 */
export const setRolesSignal = defineSignal<[RetryTurnRequest]>('setRoles');
/** Kept for conversations and clients of the first release; `retryTurnUpdate` is the way to ask. */
export const retryTurnSignal = defineSignal<[RetryTurnRequest]>('retryTurn');
/**
 * Re-runs the failed step of a waiting conversation. Unlike the signal, the caller learns the outcome: the
 * validator rejects the request when the conversation is not waiting or an override is malformed, and an
 * accepted update answers which step runs again.
 */
export const retryTurnUpdate = defineUpdate<RetryTurnAccepted, [RetryTurnRequest]>('retryTurn');

const OVERRIDE_FIELDS = ['model', 'temperature', 'maxTokens'] as const;
/** The role of an override that applies to every role on an LLM provider (`*.model=gpt-4o`). */
export const EVERY_ROLE = '*';

/** Why a `role.field=value` override cannot apply, or undefined; shared by the CLI and the update validator. */
export function overrideProblem(key: string, value: string, roles: readonly string[]): string | undefined {
  const [role, field, ...extra] = key.split('.');
  if (!role || !field || extra.length > 0) return `${key}: expected <role>.<field>`;
  if (role !== EVERY_ROLE && !roles.includes(role))
    return `${key}: unknown role "${role}" (roles: ${roles.join(', ')}, or ${EVERY_ROLE} for every role)`;
  if (!(OVERRIDE_FIELDS as readonly string[]).includes(field))
    return `${key}: unknown field "${field}" (fields: ${OVERRIDE_FIELDS.join(', ')})`;
  if (value.trim() === '') return `${key}: empty value`;
  if (
    field === 'temperature' &&
    !(Number.isFinite(Number(value)) && Number(value) >= 0 && Number(value) <= 2)
  )
    return `${key}=${value}: temperature must be a number from 0 to 2`;
  if (field === 'maxTokens' && !(Number.isInteger(Number(value)) && Number(value) > 0))
    return `${key}=${value}: maxTokens must be a positive integer`;
  return undefined;
}

/**
 * Applies `role.field=value` overrides to the resolved roles (model, temperature, maxTokens), in order; role
 * `*` is every role on an LLM provider.
 */
export function applyOverrides<R extends Partial<Record<LlmRole, ResolvedRole>>>(
  roles: R,
  set: Record<string, string>,
): R {
  const out: Partial<Record<LlmRole, ResolvedRole>> = { ...roles };
  for (const [key, value] of Object.entries(set)) {
    const [role, field] = key.split('.') as [LlmRole | typeof EVERY_ROLE, string];
    for (const name of role === EVERY_ROLE ? (Object.keys(out) as LlmRole[]) : [role]) {
      const r = out[name];
      if (!r || r.provider !== 'llm') continue;
      if (field === 'model') out[name] = { ...r, model: value };
      else if (field === 'temperature') out[name] = { ...r, temperature: Number(value) };
      else if (field === 'maxTokens') out[name] = { ...r, maxTokens: Number(value) };
    }
  }
  return out as R;
}

/** A conversation tells its run when it starts or stops waiting for a retry, so progress can count them. */
export const conversationWaitingSignal =
  defineSignal<[{ index: number; waiting: boolean }]>('conversationWaiting');

/**
 * A conversation that has waited for a retry reports its end to the run: if the run continued as new in
 * the meantime, the current execution is not its parent and learns the result only this way.
 */
export const conversationFinishedSignal =
  defineSignal<[{ index: number; result: ConversationResult }]>('conversationFinished');
