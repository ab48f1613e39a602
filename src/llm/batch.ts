import { promises as fs } from 'node:fs';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { FailureType } from '../core/failures';
import { NO_USAGE, type Usage } from '../core/usage';
import { writeAtomic } from '../io/files';
import { batchPaths, BatchResult } from './batch-file';
import { cacheGet, type CachedResponse } from './cache';
import { chatBody } from './providers/openai';
import type { AnswerSchema, ChatMessage, LlmCallRole } from './providers';
import {
  BATCHER_WORKFLOW,
  type BatchItem,
  type BatcherInput,
  type BatcherWorkflow,
  batchRequestSignal,
  batcherId,
  runOfWorkflow,
} from '../contracts';

/** How often a waiting step looks for its answer (a file read: cheap). */
const LOOK_EVERY_MS = 2000;

export interface BatchAnswer {
  answer: CachedResponse;
  usage: Usage;
  /** Removes the answer's result file, once the caller has stored the answer where it belongs. */
  consume: () => Promise<void>;
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

/** The batch's answer to `key`, if it is there; its failure after the last attempt as a non-retryable error. */
async function readResult(file: string): Promise<BatchAnswer | undefined> {
  let result: BatchResult;
  try {
    result = BatchResult.parse(JSON.parse(await fs.readFile(file, 'utf8')));
  } catch {
    return undefined;
  }
  const consume = (): Promise<void> => fs.rm(file, { force: true });
  if ('error' in result) {
    // told once: a later step asking the same request starts afresh
    await consume();
    throw ApplicationFailure.create({
      message: result.error,
      type: FailureType.LlmRejected,
      nonRetryable: true,
    });
  }
  return { answer: result.answer, usage: result.usage, consume };
}

/**
 * A request of a role in batch mode, from inside its activity: the body goes to disk, the run's batcher
 * workflow is told its key (signal-with-start: started if it is not running), and the step waits,
 * heartbeating, until the batcher has written the answer. Nothing here pays: a step retried after a crash
 * tells the batcher again, which knows the key already, and waits again.
 */
export async function waitForBatchAnswer(
  r: LlmCallRole,
  messages: ChatMessage[],
  key: string,
  answerSchema?: AnswerSchema,
): Promise<BatchAnswer> {
  if (!r.batch) throw new Error(`role ${r.role} is not in batch mode`);
  const ctx = Context.current();
  const { info } = ctx;
  if (!info.workflowExecution) throw new Error(`role ${r.role}: batch mode needs an activity of a workflow`);
  const runId = runOfWorkflow(info.workflowExecution.workflowId);
  const paths = batchPaths(r.cacheDir, runId);
  const resultFile = paths.result(key);
  const ready = await readResult(resultFile);
  if (ready) return ready;

  const requestFile = paths.request(key);
  if (!(await exists(requestFile)))
    await writeAtomic(requestFile, JSON.stringify({ body: chatBody(r, { messages, answerSchema }) }));
  // workflows run on the base queue; the step runs on the provider's queue `<base>-llm-<provider>`
  const suffix = `-llm-${r.providerName}`;
  const base = info.taskQueue.endsWith(suffix) ? info.taskQueue.slice(0, -suffix.length) : info.taskQueue;
  const input: BatcherInput = {
    runId,
    providerName: r.providerName,
    ...(r.baseURL !== undefined ? { baseURL: r.baseURL } : {}),
    apiKeyEnv: r.apiKeyEnv,
    timeoutMs: r.timeoutMs,
    cacheDir: r.cacheDir,
    ledgerFile: r.ledgerFile,
    // not the provider's queue: steps waiting for their batch may fill all of its slots
    activityQueue: base,
    settings: r.batch,
  };
  const item: BatchItem = { key, role: r.role, model: r.model, ...(r.price ? { price: r.price } : {}) };
  await ctx.client.workflow.signalWithStart<BatcherWorkflow, [BatchItem]>(BATCHER_WORKFLOW, {
    workflowId: batcherId(runId, r.providerName),
    taskQueue: base,
    args: [input],
    signal: batchRequestSignal,
    signalArgs: [item],
    staticSummary: `batches of run ${runId} for provider ${r.providerName}`,
  });

  // An attempt ends before its start-to-close timeout and the next one asks again: a batch may take hours.
  const attemptMs = info.startToCloseTimeoutMs > 0 ? info.startToCloseTimeoutMs : 10 * 60_000;
  const giveUpAt = Date.now() + Math.max(LOOK_EVERY_MS, attemptMs - 60_000);
  for (;;) {
    ctx.heartbeat({ waiting: 'batch', request: key.slice(0, 16) });
    await ctx.sleep(LOOK_EVERY_MS);
    const got = await readResult(resultFile);
    if (got) return got;
    // another step with the same request took the answer and stored it
    const cached = await cacheGet(r.cacheDir, key);
    if (cached) return { answer: cached, usage: { ...NO_USAGE, cached: 1 }, consume: async () => undefined };
    if (Date.now() >= giveUpAt)
      throw ApplicationFailure.create({
        message: `${r.role}: the batch holding request ${key.slice(0, 16)} has not ended yet (waiting again)`,
        type: FailureType.LlmUnavailable,
        nextRetryDelay: '1s',
      });
  }
}
