import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type * as activities from '../activities';
import { NON_RETRYABLE, NON_RETRYABLE_LLM } from '../core/failures';

/** Local, cheap work (files, planning, execution, offline generation): short timeouts, quick retries. */
export const local = proxyActivities<typeof activities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '30s',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '30s',
    maximumAttempts: 5,
    nonRetryableErrorTypes: [...NON_RETRYABLE],
  },
});

const LLM_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  // LLM calls heartbeat every 5 s (client.ts), so a killed worker's calls move elsewhere within 30 s
  heartbeatTimeout: '30s',
  // Transient provider errors (429, 5xx, timeouts) back off here; a 429's Retry-After overrides the delay.
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '2 minutes',
    maximumAttempts: 10,
    nonRetryableErrorTypes: [...NON_RETRYABLE_LLM],
  },
};

const byQueue = new Map<string, ReturnType<typeof proxyActivities<typeof activities>>>();

/**
 * Steps that call LLMs, on the task queue of their provider (rate-limited per provider for all workers);
 * `undefined` = the workflow's own queue (offline backend).
 */
export function llm(taskQueue?: string): ReturnType<typeof proxyActivities<typeof activities>> {
  const key = taskQueue ?? '';
  let p = byQueue.get(key);
  if (!p) {
    p = proxyActivities<typeof activities>({ ...LLM_OPTIONS, ...(taskQueue ? { taskQueue } : {}) });
    byQueue.set(key, p);
  }
  return p;
}
