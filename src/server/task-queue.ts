import { runQueueName } from '../contracts';

/**
 * Task queues. By default every run has its own (`magnet-<run id>`, LLM activities on
 * `magnet-<run id>-llm-<provider>`, see src/contracts/queues.ts): a worker started for one run, with its
 * environment and API keys, then never executes another run's steps. A queue named with `--task-queue` or
 * MAGNET_TASK_QUEUE is shared on purpose, by runs and workers that should pool their work.
 */
export const TASK_QUEUE = process.env.MAGNET_TASK_QUEUE ?? 'magnet';

/** The queue a new run's workflows and activities go to. */
export function runTaskQueue(runId: string, configured?: string): string {
  return configured ?? process.env.MAGNET_TASK_QUEUE ?? runQueueName(runId);
}

/** The queue a worker serves when told one (flag or MAGNET_TASK_QUEUE) instead of a run. */
export function sharedTaskQueue(configured?: string): string | undefined {
  return configured ?? process.env.MAGNET_TASK_QUEUE;
}
