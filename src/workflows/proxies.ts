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

/**
 * Where a step runs. Three kinds of place: the run's own task queue (normal activities: files, the pool, the
 * graph's assembly, exports, steps that call outside tools), a provider's queue (an LLM role's requests,
 * rate-limited per provider for all workers), and the workflow's own worker (local activities: steps that do
 * no network I/O). `proxyFor` is the one place that picks among them for a conversation's steps.
 */

const RUN_QUEUE_RETRY: RetryPolicy = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '30s',
  maximumAttempts: 5,
  nonRetryableErrorTypes: [...NON_RETRYABLE],
};

/** Normal activities on the run's queue (files, planning, execution, exports): short timeouts, quick retries. */
export const runQueue = proxyActivities<typeof activities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '30s',
  retry: RUN_QUEUE_RETRY,
});

const LLM_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  // LLM calls heartbeat every 5 s (src/llm), so a killed worker's calls move elsewhere within 30 s
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

const providerProxies = new Map<string, ReturnType<typeof proxyActivities<typeof activities>>>();

/**
 * Steps of `role`, on the task queue of its provider (rate-limited per provider for all workers), or on the
 * workflow's own queue `workflowQueue` for the offline backend. For an LLM role, a transient error (429,
 * 5xx, timeout, reset) is retried without an attempt cap until the provider's `retryHours` have passed:
 * ten attempts were spent in a minute by a provider having a bad quarter of an hour. Errors that retrying
 * cannot fix stay non-retryable, and a step that fails for good waits for `magnet retry`.
 */
export function providerQueue(
  workflowQueue: string,
  role: ResolvedRole,
): ReturnType<typeof proxyActivities<typeof activities>> {
  const q = llmTaskQueue(workflowQueue, role);
  const taskQueue = q === workflowQueue ? undefined : q;
  // inputs of the first releases carry no retryMs; their executions keep the options they were recorded with
  const retryMs = role.provider === 'llm' ? role.retryMs : undefined;
  const deadline = retryMs !== undefined && patched(RETRY_UNTIL_DEADLINE) ? retryMs : undefined;
  // absent in every input before the setting existed: those executions keep the 2 minutes they ran with
  const maxInterval = role.provider === 'llm' ? role.retryMaxMs : undefined;
  const key = `${taskQueue ?? ''}|${deadline ?? ''}|${maxInterval ?? ''}`;
  let p = providerProxies.get(key);
  if (!p) {
    const retry = {
      ...LLM_OPTIONS.retry,
      ...(deadline !== undefined ? { maximumAttempts: Number.POSITIVE_INFINITY } : {}),
      ...(maxInterval !== undefined ? { maximumInterval: maxInterval } : {}),
    };
    p = proxyActivities<typeof activities>({
      ...LLM_OPTIONS,
      ...(taskQueue ? { taskQueue } : {}),
      ...(deadline !== undefined ? { scheduleToCloseTimeout: deadline } : {}),
      retry,
    });
    providerProxies.set(key, p);
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
 * Local activities: the same retry policy as `runQueue` (a deterministic error is non-retryable, a transient
 * one -- a file system hiccup -- is retried a few times, in the worker, within `localRetryThreshold`, so no
 * timer is written). A step that fails for good throws like a normal activity, so the conversation records
 * the failure and waits for `magnet retry`, which runs the step again as a new local activity. No heartbeat
 * timeout: a local activity cannot heartbeat, and the worker running it is the one running the workflow task,
 * so a killed worker re-runs it on replay elsewhere (its result is in the history only once it finished).
 */
export const localSteps = proxyLocalActivities<typeof activities>({
  startToCloseTimeout: '2 minutes',
  localRetryThreshold: '1 minute',
  retry: RUN_QUEUE_RETRY,
});

export type Steps = ReturnType<typeof proxyActivities<typeof activities>> | typeof localSteps;

/** What decides where a conversation's step runs. */
export interface StepPlace {
  /** The role whose request the step makes; none for a step of no role (records, failures, offline planning). */
  role?: ResolvedRole;
  /**
   * The step runs calls of MCP servers or HTTP services: network I/O that may take a while (a server started,
   * its state rebuilt), so never a local activity, which cannot heartbeat or move to another worker.
   */
  outsideTools?: boolean;
}

/**
 * The one place that decides where a conversation's step runs. A step of an LLM role runs on its provider's
 * queue; a step that calls outside tools, on the run's queue; any other step does no network I/O and runs as
 * a local activity. Before LOCAL_CHEAP_STEPS those ran as normal activities: an offline role's on the
 * workflow's queue with the LLM options, a step of no role on the run's queue.
 */
export function proxyFor(workflowQueue: string, place: StepPlace): Steps {
  const { role, outsideTools } = place;
  if (role && role.provider !== 'offline') return providerQueue(workflowQueue, role);
  if (outsideTools) return runQueue;
  if (patched(LOCAL_CHEAP_STEPS)) return localSteps;
  return role ? providerQueue(workflowQueue, role) : runQueue;
}
