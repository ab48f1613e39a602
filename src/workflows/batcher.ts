import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type * as activities from '../activities';
import { NON_RETRYABLE_LLM } from '../core/failures';
import {
  type BatchPoll,
  type BatcherInput,
  type InFlightBatch,
  type PendingItem,
  batchRequestSignal,
  batcherStatusQuery,
} from '../contracts';

/** Submitting and polling are plain HTTP calls: retried for about an hour before the items count as failed. */
const OPTIONS: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  retry: {
    initialInterval: '2s',
    backoffCoefficient: 2,
    maximumInterval: '5 minutes',
    maximumAttempts: 20,
    nonRetryableErrorTypes: [...NON_RETRYABLE_LLM],
  },
};

/** Events before the batcher continues as new (each request is a signal event). */
const MAX_HISTORY = 8000;

function reason(e: unknown): string {
  const cause = e instanceof ActivityFailure ? e.cause : e;
  if (cause instanceof ApplicationFailure || cause instanceof Error) return cause.message;
  return String(cause);
}

/** Items of one model (a batch file holds one model), at most `max` per batch. */
function chunks(items: PendingItem[], max: number): PendingItem[][] {
  const byModel = new Map<string, PendingItem[]>();
  for (const p of items) byModel.set(p.item.model, [...(byModel.get(p.item.model) ?? []), p]);
  const out: PendingItem[][] = [];
  for (const group of byModel.values())
    for (let i = 0; i < group.length; i += max) out.push(group.slice(i, i + max));
  return out;
}

/**
 * The batches of one run and provider (workflow id `<run>/batch/<provider>`). Steps of roles in batch mode
 * signal their request keys; the batcher collects them for `collectSeconds` (or until `maxRequests`), submits
 * a batch file, polls it every `pollSeconds` on a workflow timer (a pending batch holds no worker and
 * survives restarts), and when it ends has each answer written where its waiting step looks. Failed and
 * expired items go into a later batch, up to `maxAttempts` batches, then their steps fail with the reason.
 * It ends when idle; the next request starts it again.
 */
export async function batcher(input: BatcherInput): Promise<void> {
  const { carry, settings: s, activityQueue, ...endpoint } = input;
  const options: ActivityOptions = { ...OPTIONS, taskQueue: activityQueue };
  const acts = proxyActivities<typeof activities>(options);
  const collectMs = s.collectSeconds * 1000;
  const pollMs = s.pollSeconds * 1000;

  const pending = new Map<string, PendingItem>((carry?.pending ?? []).map((p) => [p.item.key, p]));
  const inFlight: InFlightBatch[] = carry?.inFlight ?? [];
  /** Keys being submitted right now (neither pending nor in a batch yet). */
  const sending = new Set<string>();
  /** When each batch is polled next; batches carried over a continue-as-new are polled at once. */
  const nextPoll = new Map<string, number>();
  let submissions = carry?.submissions ?? 0;
  let firstAt: number | undefined = pending.size > 0 ? Date.now() : undefined;

  /** Keys in a submitted batch (a set: a batch may hold thousands, and every signal asks). */
  const submitted = new Set(inFlight.flatMap((b) => b.items.map((p) => p.item.key)));
  const settle = (b: InFlightBatch): void => {
    inFlight.splice(inFlight.indexOf(b), 1);
    nextPoll.delete(b.batchId);
    for (const p of b.items) submitted.delete(p.item.key);
  };
  const known = (key: string): boolean => pending.has(key) || sending.has(key) || submitted.has(key);
  setHandler(batchRequestSignal, (item) => {
    // a step retried after a crash (or after its attempt's time) asks again for a request already here
    if (known(item.key)) return;
    pending.set(item.key, { item, attempts: 0 });
    firstAt ??= Date.now();
  });
  setHandler(batcherStatusQuery, () => ({
    pending: pending.size,
    inFlight: inFlight.map((b) => ({ batchId: b.batchId, requests: b.items.length, status: b.status })),
    submissions,
  }));

  /** Items whose batch failed them: into a later batch, or failed for good after `maxAttempts` batches. */
  const again = async (items: PendingItem[], errors: Map<string, string>): Promise<void> => {
    const failures: { key: string; error: string }[] = [];
    for (const p of items) {
      const attempts = p.attempts + 1;
      const error = errors.get(p.item.key) ?? 'no answer';
      if (attempts >= s.maxAttempts) {
        failures.push({
          key: p.item.key,
          error: `${p.item.role}: no answer from ${endpoint.providerName} batches after ${attempts} attempts: ${error}`,
        });
      } else if (!known(p.item.key)) {
        pending.set(p.item.key, { item: p.item, attempts });
        firstAt ??= Date.now();
      }
    }
    if (failures.length > 0) {
      log.warn('batch items failed for good', { count: failures.length, first: failures[0]?.error });
      await acts.failBatchItemsActivity({ endpoint, failures });
    }
  };

  const submit = async (items: PendingItem[]): Promise<void> => {
    // unique per batcher (a later one, started by a later request, counts from 0 again): the run id of its
    // first execution, which continue-as-new keeps
    const submission = `${workflowInfo().workflowId}#${workflowInfo().firstExecutionRunId}#${submissions}`;
    submissions += 1;
    const model = items[0]?.item.model ?? '';
    for (const p of items) sending.add(p.item.key);
    try {
      const res = await acts.submitBatchActivity.executeWithOptions(
        { ...options, summary: `submit ${items.length} requests (${model})` },
        [{ endpoint, submission, keys: items.map((p) => p.item.key) }],
      );
      if (res.missing.length > 0)
        log.warn('batch requests without a body on disk', { count: res.missing.length });
      if (res.batchId) {
        const sent = new Set(res.submitted);
        inFlight.push({
          batchId: res.batchId,
          items: items.filter((p) => sent.has(p.item.key)),
          status: res.status ?? 'validating',
        });
        for (const key of sent) submitted.add(key);
        nextPoll.set(res.batchId, Date.now() + pollMs);
      }
    } catch (e) {
      const why = reason(e);
      await again(items, new Map(items.map((p) => [p.item.key, `submitting failed: ${why}`])));
    } finally {
      for (const p of items) sending.delete(p.item.key);
    }
  };

  const poll = async (b: InFlightBatch): Promise<void> => {
    let res: BatchPoll;
    try {
      res = await acts.pollBatchActivity.executeWithOptions(
        { ...options, summary: `batch ${b.batchId}: ${b.items.length} requests, ${b.status}` },
        [{ endpoint, batchId: b.batchId, items: b.items.map((p) => p.item) }],
      );
    } catch (e) {
      // the batch cannot be read any more: its items go into another one
      settle(b);
      const why = reason(e);
      await again(b.items, new Map(b.items.map((p) => [p.item.key, `batch ${b.batchId}: ${why}`])));
      return;
    }
    b.status = res.status;
    if (!res.outcome) {
      nextPoll.set(b.batchId, Date.now() + pollMs);
      return;
    }
    settle(b);
    const failed = new Map(res.outcome.failed.map((f) => [f.key, `batch ${b.batchId}: ${f.error}`]));
    if (failed.size > 0)
      await again(
        b.items.filter((p) => failed.has(p.item.key)),
        failed,
      );
  };

  for (;;) {
    if (pending.size >= s.maxRequests || (firstAt !== undefined && Date.now() >= firstAt + collectMs)) {
      const items = [...pending.values()];
      pending.clear();
      firstAt = undefined;
      for (const chunk of chunks(items, s.maxRequests)) await submit(chunk);
    }
    const now = Date.now();
    await Promise.all(inFlight.filter((b) => (nextPoll.get(b.batchId) ?? 0) <= now).map(poll));

    if (pending.size === 0 && inFlight.length === 0) {
      // idle: a little grace for stragglers, then end. A signal that arrives as the workflow completes makes
      // Temporal reject the completion and deliver it first: the check after the wait sees it.
      if (await condition(() => pending.size > 0, collectMs)) continue;
      await condition(allHandlersFinished);
      if (pending.size === 0 && inFlight.length === 0) return;
      continue;
    }
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength > MAX_HISTORY) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof batcher>({
        ...input,
        carry: { pending: [...pending.values()], inFlight, submissions },
      });
    }
    const wakeAt = Math.min(
      firstAt !== undefined ? firstAt + collectMs : Number.POSITIVE_INFINITY,
      ...inFlight.map((b) => nextPoll.get(b.batchId) ?? 0),
    );
    const before = firstAt;
    const waitMs = wakeAt - Date.now();
    // wake early when the batch file is full, or when a first request starts the collection window
    if (waitMs > 0) await condition(() => pending.size >= s.maxRequests || firstAt !== before, waitMs);
  }
}
