import { promises as fs } from 'node:fs';
import { ApplicationFailure } from '@temporalio/activity';
import OpenAI, { toFile } from 'openai';
import { FailureType } from '../core/failures';
import { readJson, writeAtomic } from '../io/files';
import {
  BATCH_STATUSES_DONE,
  batchJsonl,
  batchPaths,
  BatchRequestFile,
  CHAT_ENDPOINT,
  parseBatchOutput,
  type BatchResult,
} from '../llm/batch-file';
import { cacheGet } from '../llm/cache';
import { appendLedger, ledgerLine, paidAnswer, type LedgerLine } from '../llm/request';
import { ProviderError } from '../llm/providers';
import { classify } from '../llm/providers/provider';
import { client } from '../llm/providers/openai';
import { type BatchEndpoint, type BatchItem, type BatchPoll } from '../contracts';

/**
 * The batcher's I/O (src/workflows/batcher.ts): submit a batch file, poll it, and when it ends write each
 * answer where its waiting step looks, with the ledger line at the batch price.
 */

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

/** A provider error as the batcher's retry policy reads it: transient ones retry, others fail the items. */
function failure(e: unknown, what: string): ApplicationFailure {
  let err = e;
  if (e instanceof OpenAI.APIError) {
    const status = typeof e.status === 'number' ? e.status : undefined;
    err = classify(status, `${what}: ${status ?? 'connection'} error: ${e.message}`);
  }
  if (!(err instanceof ProviderError)) return ApplicationFailure.create({ message: `${what}: ${String(e)}` });
  return ApplicationFailure.create({
    message: err.message,
    type: err.transient
      ? err.status === 429
        ? FailureType.LlmRateLimited
        : FailureType.LlmUnavailable
      : FailureType.LlmRejected,
    nonRetryable: !err.transient,
  });
}

export interface SubmitResult {
  batchId?: string;
  status?: string;
  /** Keys in the batch file. */
  submitted: string[];
  /** Keys answered meanwhile (an earlier batch's answer waits for its step, or is in the cache). */
  skipped: string[];
  /** Keys whose request body is not on disk. */
  missing: string[];
}

/**
 * Uploads the requests of `keys` as a batch file and creates the batch. `submission` names this submission:
 * a retry after the provider accepted the batch (the worker died before reporting it) finds it instead of
 * paying for a second one.
 */
export async function submitBatchActivity(input: {
  endpoint: BatchEndpoint;
  submission: string;
  keys: string[];
}): Promise<SubmitResult> {
  const { endpoint } = input;
  const paths = batchPaths(endpoint.cacheDir, endpoint.runId);
  const marker = paths.submission(input.submission);
  if (await exists(marker)) return (await readJson(marker)) as SubmitResult;
  const lines: { key: string; body: unknown }[] = [];
  const skipped: string[] = [];
  const missing: string[] = [];
  for (const key of input.keys) {
    // a step that asked again after its answer was written must not make us pay for it twice
    if ((await exists(paths.result(key))) || (await cacheGet(endpoint.cacheDir, key))) {
      skipped.push(key);
      continue;
    }
    const body = BatchRequestFile.safeParse(await readJson(paths.request(key)).catch(() => undefined));
    if (body.success) lines.push({ key, body: body.data.body });
    else missing.push(key);
  }
  if (lines.length === 0) return { submitted: [], skipped, missing };
  const api = client(endpoint);
  let batch: OpenAI.Batch | undefined;
  try {
    // the worker may have died between creating the batch and writing the marker: the provider knows it
    const recent = await api.batches.list({ limit: 100 });
    batch = recent.data.find((b) => b.metadata?.magnet_submission === submissionTag(input.submission));
  } catch (e) {
    // a transient error retries; a server without the list (an OpenAI-compatible one) just cannot tell
    const f = failure(e, `${endpoint.providerName}: listing batches`);
    if (!f.nonRetryable) throw f;
  }
  if (!batch) batch = await create(api, endpoint, input.submission, lines);
  const result: SubmitResult = {
    batchId: batch.id,
    status: batch.status,
    submitted: lines.map((l) => l.key),
    skipped,
    missing,
  };
  await writeAtomic(marker, JSON.stringify(result));
  return result;
}

/** Metadata values are at most 512 characters: the end of the name (its counter) is what differs. */
function submissionTag(submission: string): string {
  return submission.slice(-500);
}

async function create(
  api: OpenAI,
  endpoint: BatchEndpoint,
  submission: string,
  lines: { key: string; body: unknown }[],
): Promise<OpenAI.Batch> {
  try {
    const file = await api.files.create({
      file: await toFile(Buffer.from(batchJsonl(lines)), 'magnet-batch.jsonl', { type: 'application/jsonl' }),
      purpose: 'batch',
    });
    return await api.batches.create({
      input_file_id: file.id,
      endpoint: CHAT_ENDPOINT,
      completion_window: '24h',
      metadata: { magnet_run: endpoint.runId.slice(0, 500), magnet_submission: submissionTag(submission) },
    });
  } catch (e) {
    throw failure(e, `${endpoint.providerName}: submitting a batch of ${lines.length} requests`);
  }
}

/**
 * The status of a batch; when it has ended, each answer of `items` written as its step's result (valid or
 * not: the step checks it, as after a direct request) and one ledger line per answer at the batch price.
 * Rerun after a crash, it writes nothing twice (a marker per collected batch).
 */
export async function pollBatchActivity(input: {
  endpoint: BatchEndpoint;
  batchId: string;
  items: BatchItem[];
}): Promise<BatchPoll> {
  const { endpoint, batchId } = input;
  const api = client(endpoint);
  let batch: OpenAI.Batch;
  const texts: string[] = [];
  try {
    batch = await api.batches.retrieve(batchId);
    if (!(BATCH_STATUSES_DONE as readonly string[]).includes(batch.status))
      return { status: batch.status, ...(batch.request_counts ? { counts: batch.request_counts } : {}) };
    for (const id of [batch.output_file_id, batch.error_file_id])
      if (id) texts.push(await (await api.files.content(id)).text());
  } catch (e) {
    throw failure(e, `${endpoint.providerName}: batch ${batchId}`);
  }
  const outcomes = parseBatchOutput(...texts);
  const paths = batchPaths(endpoint.cacheDir, endpoint.runId);
  const collected = await exists(paths.collected(batchId));
  const batchErrors = (batch.errors?.data ?? []).map((d) => d.message ?? d.code).join('; ');
  const answered: string[] = [];
  const failed: { key: string; error: string }[] = [];
  const ledger: LedgerLine[] = [];
  for (const item of input.items) {
    const o = outcomes.get(item.key);
    if (!o?.ok) {
      failed.push({
        key: item.key,
        error: o?.error ?? `no result (batch ${batch.status}${batchErrors ? `: ${batchErrors}` : ''})`,
      });
      continue;
    }
    answered.push(item.key);
    if (collected) continue;
    // the Batch API is OpenAI's: its cached input at OpenAI's discount, applied to the batch price
    const { usage, cost } = paidAnswer({ price: item.price, kind: 'openai' }, o, true);
    const result: BatchResult = {
      answer: { text: o.text, inputTokens: o.inputTokens, outputTokens: o.outputTokens, model: item.model },
      usage,
      batchId,
    };
    await writeAtomic(paths.result(item.key), JSON.stringify(result));
    ledger.push(ledgerLine({ ...item, providerName: endpoint.providerName }, item.key, usage, batchId, cost));
  }
  if (!collected) {
    await appendLedger(endpoint.ledgerFile, ledger);
    await writeAtomic(paths.collected(batchId), batch.status);
  }
  for (const key of answered) await fs.rm(paths.request(key), { force: true });
  return {
    status: batch.status,
    ...(batch.request_counts ? { counts: batch.request_counts } : {}),
    outcome: { answered, failed },
  };
}

/** Items that failed in their last allowed batch: their waiting steps fail with the reason. */
export async function failBatchItemsActivity(input: {
  endpoint: BatchEndpoint;
  failures: { key: string; error: string }[];
}): Promise<void> {
  const paths = batchPaths(input.endpoint.cacheDir, input.endpoint.runId);
  for (const f of input.failures) {
    const result: BatchResult = { error: f.error };
    await writeAtomic(paths.result(f.key), JSON.stringify(result));
    await fs.rm(paths.request(f.key), { force: true });
  }
}
