import { WorkflowFailedError } from '@temporalio/client';
import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  ChildWorkflowFailure,
  DefaultFailureConverter,
  defaultPayloadConverter,
  TerminatedFailure,
  TimeoutFailure,
  type ProtoFailure,
} from '@temporalio/common';
import { type RunProgress } from '../contracts';

/**
 * Why a run failed, dug out of Temporal's failure chain (WorkflowFailedError → ChildWorkflowFailure →
 * ActivityFailure → ApplicationFailure): the outer layers only say "Workflow execution failed".
 */
export interface RunFailure {
  /** The run's phase, when a step along the chain belongs to one. */
  phase?: RunProgress['phase'];
  /** The child workflows and activity the failure came through, outermost first. */
  where: string[];
  /** The root failure's type: a FailureType (src/core/failures.ts), an error name, or cancelled/terminated/timeout. */
  type: string;
  /** The first line of the root failure's message. */
  message: string;
}

/** The phase of the run (src/workflows/run.ts) each child workflow and activity of the run belongs to. */
const PHASE_OF: Record<string, RunProgress['phase']> = {
  loadPoolActivity: 'pool',
  buildGraph: 'graph',
  loadGraphActivity: 'graph',
  conversation: 'conversations',
  exportRunActivity: 'export',
};

function typeOf(e: Error): string {
  if (e instanceof ApplicationFailure) return e.type ?? 'Error';
  if (e instanceof TimeoutFailure) return 'timeout';
  if (e instanceof CancelledFailure) return 'cancelled';
  if (e instanceof TerminatedFailure) return 'terminated';
  return e.name;
}

export function runFailure(err: unknown): RunFailure {
  if (!(err instanceof Error)) return { where: [], type: 'Error', message: String(err) };
  const where: string[] = [];
  let e: Error = err instanceof WorkflowFailedError && err.cause ? err.cause : err;
  for (;;) {
    if (e instanceof ChildWorkflowFailure) where.push(e.workflowType);
    else if (e instanceof ActivityFailure) where.push(e.activityType);
    if (!(e.cause instanceof Error)) break;
    e = e.cause;
  }
  const phase = where.map((w) => PHASE_OF[w]).find((p) => p !== undefined);
  return { phase, where, type: typeOf(e), message: e.message.split('\n')[0] ?? '' };
}

/** The failure recorded in a history (WorkflowExecutionFailed event). */
export function runFailureOf(failure: ProtoFailure): RunFailure {
  return runFailure(new DefaultFailureConverter().failureToError(failure, defaultPayloadConverter));
}

/** `phase graph (buildGraph › judgeFunctionsActivity): LlmRejected: <message>` */
export function describeFailure(f: RunFailure): string {
  const at = [f.phase && `phase ${f.phase}`, f.where.length && `(${f.where.join(' › ')})`].filter(Boolean);
  return `${at.length ? `${at.join(' ')}: ` : ''}${f.type}: ${f.message}`;
}

/** A run ended in failure; the message is the one line the CLI prints. */
export class RunFailedError extends Error {
  constructor(
    runId: string,
    readonly failure: RunFailure,
  ) {
    super(`run ${runId} failed: ${describeFailure(failure)}`);
    this.name = 'RunFailedError';
  }
}
