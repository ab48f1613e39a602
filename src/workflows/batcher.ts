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
  type BatchEndpoint,
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
  const b = new Batches(input);
  const { settings: s } = input;
  const collectMs = s.collectSeconds * 1000;
  for (;;) {
    if (b.pending.size >= s.maxRequests || (b.firstAt !== undefined && Date.now() >= b.firstAt + collectMs)) {
      const items = [...b.pending.values()];
      b.pending.clear();
      b.firstAt = undefined;
      for (const chunk of chunks(items, s.maxRequests)) await b.submit(chunk);
    }
    const now = Date.now();
    await Promise.all(
      b.inFlight.filter((x) => (b.nextPoll.get(x.batchId) ?? 0) <= now).map((x) => b.poll(x)),
    );

    if (b.pending.size === 0 && b.inFlight.length === 0) {
      // idle: a little grace for stragglers, then end. A signal that arrives as the workflow completes makes
      // Temporal reject the completion and deliver it first: the check after the wait sees it.
      if (await condition(() => b.pending.size > 0, collectMs)) continue;
      await condition(allHandlersFinished);
      if (b.pending.size === 0 && b.inFlight.length === 0) return;
      continue;
    }
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength > MAX_HISTORY) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof batcher>({
        ...input,
        carry: { pending: [...b.pending.values()], inFlight: b.inFlight, submissions: b.submissions },
      });
    }
    const wakeAt = Math.min(
      b.firstAt !== undefined ? b.firstAt + collectMs : Number.POSITIVE_INFINITY,
      ...b.inFlight.map((x) => b.nextPoll.get(x.batchId) ?? 0),
    );
    const before = b.firstAt;
    const waitMs = wakeAt - Date.now();
    // wake early when the batch file is full, or when a first request starts the collection window
    if (waitMs > 0) await condition(() => b.pending.size >= s.maxRequests || b.firstAt !== before, waitMs);
  }
}

/** A batcher's requests: waiting to be sent, being sent, in submitted batches; and its submit and poll. */
class Batches {
  readonly pending: Map<string, PendingItem>;
  readonly inFlight: InFlightBatch[];
  /** Keys being submitted right now (neither pending nor in a batch yet). */
  private readonly sending = new Set<string>();
  /** When each batch is polled next; batches carried over a continue-as-new are polled at once. */
  readonly nextPoll = new Map<string, number>();
  submissions: number;
  firstAt: number | undefined;
  /** Keys in a submitted batch (a set: a batch may hold thousands, and every signal asks). */
  private readonly submitted: Set<string>;
  private readonly options: ActivityOptions;
  private readonly acts: ReturnType<typeof proxyActivities<typeof activities>>;
  private readonly endpoint: BatchEndpoint;

  constructor(private readonly input: BatcherInput) {
    const { carry, settings: _s, activityQueue, ...endpoint } = input;
    this.endpoint = endpoint;
    this.options = { ...OPTIONS, taskQueue: activityQueue };
    this.acts = proxyActivities<typeof activities>(this.options);
    this.pending = new Map<string, PendingItem>((carry?.pending ?? []).map((p) => [p.item.key, p]));
    this.inFlight = carry?.inFlight ?? [];
    this.submissions = carry?.submissions ?? 0;
    this.firstAt = this.pending.size > 0 ? Date.now() : undefined;
    this.submitted = new Set(this.inFlight.flatMap((b) => b.items.map((p) => p.item.key)));
    setHandler(batchRequestSignal, (item) => {
      // a step retried after a crash (or after its attempt's time) asks again for a request already here
      if (this.known(item.key)) return;
      this.pending.set(item.key, { item, attempts: 0 });
      this.firstAt ??= Date.now();
    });
    setHandler(batcherStatusQuery, () => ({
      pending: this.pending.size,
      inFlight: this.inFlight.map((b) => ({
        batchId: b.batchId,
        requests: b.items.length,
        status: b.status,
      })),
      submissions: this.submissions,
    }));
  }

  private settle(b: InFlightBatch): void {
    this.inFlight.splice(this.inFlight.indexOf(b), 1);
    this.nextPoll.delete(b.batchId);
    for (const p of b.items) this.submitted.delete(p.item.key);
  }

  private known(key: string): boolean {
    return this.pending.has(key) || this.sending.has(key) || this.submitted.has(key);
  }

  /** Items whose batch failed them: into a later batch, or failed for good after `maxAttempts` batches. */
  private async again(items: PendingItem[], errors: Map<string, string>): Promise<void> {
    const failures: { key: string; error: string }[] = [];
    for (const p of items) {
      const attempts = p.attempts + 1;
      const error = errors.get(p.item.key) ?? 'no answer';
      if (attempts >= this.input.settings.maxAttempts) {
        failures.push({
          key: p.item.key,
          error: `${p.item.role}: no answer from ${this.endpoint.providerName} batches after ${attempts} attempts: ${error}`,
        });
      } else if (!this.known(p.item.key)) {
        this.pending.set(p.item.key, { item: p.item, attempts });
        this.firstAt ??= Date.now();
      }
    }
    if (failures.length > 0) {
      log.warn('batch items failed for good', { count: failures.length, first: failures[0]?.error });
      await this.acts.failBatchItemsActivity({ endpoint: this.endpoint, failures });
    }
  }

  async submit(items: PendingItem[]): Promise<void> {
    // unique per batcher (a later one, started by a later request, counts from 0 again): the run id of its
    // first execution, which continue-as-new keeps
    const submission = `${workflowInfo().workflowId}#${workflowInfo().firstExecutionRunId}#${this.submissions}`;
    this.submissions += 1;
    const model = items[0]?.item.model ?? '';
    for (const p of items) this.sending.add(p.item.key);
    try {
      const res = await this.acts.submitBatchActivity.executeWithOptions(
        { ...this.options, summary: `submit ${items.length} requests (${model})` },
        [{ endpoint: this.endpoint, submission, keys: items.map((p) => p.item.key) }],
      );
      if (res.missing.length > 0)
        log.warn('batch requests without a body on disk', { count: res.missing.length });
      if (res.batchId) {
        const sent = new Set(res.submitted);
        this.inFlight.push({
          batchId: res.batchId,
          items: items.filter((p) => sent.has(p.item.key)),
          status: res.status ?? 'validating',
        });
        for (const key of sent) this.submitted.add(key);
        this.nextPoll.set(res.batchId, Date.now() + this.input.settings.pollSeconds * 1000);
      }
    } catch (e) {
      const why = reason(e);
      await this.again(items, new Map(items.map((p) => [p.item.key, `submitting failed: ${why}`])));
    } finally {
      for (const p of items) this.sending.delete(p.item.key);
    }
  }

  async poll(b: InFlightBatch): Promise<void> {
    let res: BatchPoll;
    try {
      res = await this.acts.pollBatchActivity.executeWithOptions(
        { ...this.options, summary: `batch ${b.batchId}: ${b.items.length} requests, ${b.status}` },
        [{ endpoint: this.endpoint, batchId: b.batchId, items: b.items.map((p) => p.item) }],
      );
    } catch (e) {
      // the batch cannot be read any more: its items go into another one
      this.settle(b);
      const why = reason(e);
      await this.again(b.items, new Map(b.items.map((p) => [p.item.key, `batch ${b.batchId}: ${why}`])));
      return;
    }
    b.status = res.status;
    if (!res.outcome) {
      this.nextPoll.set(b.batchId, Date.now() + this.input.settings.pollSeconds * 1000);
      return;
    }
    this.settle(b);
    const failed = new Map(res.outcome.failed.map((f) => [f.key, `batch ${b.batchId}: ${f.error}`]));
    if (failed.size > 0)
      await this.again(
        b.items.filter((p) => failed.has(p.item.key)),
        failed,
      );
  }
}
