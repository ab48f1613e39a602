import {
  patched,
  proxyActivities,
  proxyLocalActivities,
  type ActivityOptions,
  type RetryPolicy,
} from '@temporalio/workflow';
import type * as activities from '../activities';
import { type ResolvedRole } from '../core/config';
import { NON_RETRYABLE, NON_RETRYABLE_LLM } from '../core/failures';
import { llmTaskQueue } from '../contracts';

const LOCAL_RETRY: RetryPolicy = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '30s',
  maximumAttempts: 5,
  nonRetryableErrorTypes: [...NON_RETRYABLE],
};

/** Local, cheap work (files, planning, execution, offline generation): short timeouts, quick retries. */
export const local = proxyActivities<typeof activities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '30s',
  retry: LOCAL_RETRY,
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

/**
 * The patch that runs steps doing no network I/O (offline roles, built-in tool execution, planning with the
 * offline judge, record and failure writes) as local activities: each was a full round trip through the server
 * (schedule, poll, complete: three events and a workflow task) for about a millisecond of work.
 */
export const LOCAL_CHEAP_STEPS = 'local-cheap-steps';

/**
 * Local steps: the same retry policy as `local` (a deterministic error is non-retryable, a transient one -- a
 * file system hiccup -- is retried a few times, in the worker, within `localRetryThreshold`, so no timer is
 * written). A step that fails for good throws like a normal activity, so `step()` in the conversation records
 * the failure and waits for `magnet retry`, which runs the step again as a new local activity. No heartbeat
 * timeout: a local activity cannot heartbeat, and the worker running it is the one running the workflow task,
 * so a killed worker re-runs it on replay elsewhere (its result is in the history only once it finished).
 */
export const cheap = proxyLocalActivities<typeof activities>({
  startToCloseTimeout: '2 minutes',
  localRetryThreshold: '1 minute',
  retry: LOCAL_RETRY,
});

type Steps = ReturnType<typeof proxyActivities<typeof activities>> | typeof cheap;

/**
 * The one place that decides where a step runs. A step of `role` on the offline backend (or a step of no role:
 * planning with the offline judge, writing a record) does no network I/O and runs as a local activity; a step
 * of an LLM role runs on its provider's queue (`llm`). Before the patch, cheap steps ran on the workflow's
 * queue as normal activities (`local`). New steps (a quality judge, another kind) call this with their role.
 */
export function stepsFor(workflowQueue: string, role?: ResolvedRole): Steps {
  if (role && role.provider !== 'offline') return llm(workflowQueue, role);
  if (patched(LOCAL_CHEAP_STEPS)) return cheap;
  return role ? llm(workflowQueue, role) : local;
}
