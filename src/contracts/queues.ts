import type { ResolvedRole } from '../core/config';

/**
 * Task queue names. Every run has its own queue (`magnet-<run id>`) and one per LLM provider beside it, so a
 * worker started for one run, with its environment and API keys, never executes another run's steps
 * (src/server/task-queue.ts adds the shared queue a flag or MAGNET_TASK_QUEUE names).
 */

/** The queue of a run's workflows and of its steps that call no provider. */
export function runQueueName(runId: string): string {
  return `magnet-${runId}`;
}

/** The task queue an LLM role's activities run on: one per provider, so each can be rate-limited. */
export function llmTaskQueue(base: string, r: ResolvedRole): string {
  return r.provider === 'offline' ? base : `${base}-llm-${r.providerName}`;
}
