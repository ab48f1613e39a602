import { patched, proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type * as activities from '../activities';
import { llmTaskQueue, type ResolvedRole } from '../core/config';
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

/** The patch that let LLM steps retry transient errors until a deadline instead of 10 times. */
export const RETRY_UNTIL_DEADLINE = 'llm-retry-until-deadline';

const proxies = new Map<string, ReturnType<typeof proxyActivities<typeof activities>>>();

/**
 * Steps of `role`, on the task queue of its provider (rate-limited per provider for all workers), or on the
 * workflow's own queue `workflowQueue` for the offline backend. For an LLM role, a transient error (429,
 * 5xx, timeout, reset) is retried without an attempt cap until the provider's `retryHours` have passed:
 * ten attempts were spent in a minute by a provider having a bad quarter of an hour. Errors that retrying
 * cannot fix stay non-retryable, and a step that fails for good waits for `magnet retry`.
 */
export function llm(
  workflowQueue: string,
  role: ResolvedRole,
): ReturnType<typeof proxyActivities<typeof activities>> {
  const q = llmTaskQueue(workflowQueue, role);
  const taskQueue = q === workflowQueue ? undefined : q;
  // inputs of the first releases carry no retryMs; their executions keep the options they were recorded with
  const retryMs = role.provider === 'llm' ? role.retryMs : undefined;
  const deadline = retryMs !== undefined && patched(RETRY_UNTIL_DEADLINE) ? retryMs : undefined;
  const key = `${taskQueue ?? ''}|${deadline ?? ''}`;
  let p = proxies.get(key);
  if (!p) {
    p = proxyActivities<typeof activities>({
      ...LLM_OPTIONS,
      ...(taskQueue ? { taskQueue } : {}),
      ...(deadline !== undefined
        ? {
            scheduleToCloseTimeout: deadline,
            retry: { ...LLM_OPTIONS.retry, maximumAttempts: Number.POSITIVE_INFINITY },
          }
        : {}),
    });
    proxies.set(key, p);
  }
  return p;
}
