import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { costOf, type Cost } from '../core/cost';
import { FailureType } from '../core/failures';
import { sha256, stableStringify } from '../io/files';
import { waitForBatchAnswer } from './batch';
import { cacheGet, cachePut, type CachedResponse } from './cache';
import { answerFault } from './faults';
import { noteInvalid, noteValid } from './fitness';
import { acquire, release } from './limiter';
import { roleLine } from './protocol';
import { singleFlight } from './singleflight';
import { requestKeyExtras } from './providers/structured';
import { toolsAnswerText, toolsKey, type PromptTools } from './tools';
import { addUsage, NO_USAGE, type PaidUsage, type Usage } from '../core/usage';
import { callProvider, type AnswerSchema, type ChatMessage, type LlmCallRole } from './providers';

/**
 * The one path of an LLM request (`completeJson`): the response cache and single-flight, the pacer, the
 * provider call or a batch, the answer's check and one repair, the cost in the run's ledger.
 */
export type { LlmCallRole } from './providers';

export { addUsage, NO_USAGE, type Usage } from '../core/usage';

export interface Prompt {
  version: number;
  system: string;
  user: string;
  /** The answer's JSON Schema, for providers that constrain answers to it (structured outputs). */
  answerSchema?: AnswerSchema;
  /** Tools mode: the tools sent, and how the answer's tool calls become the text checked and cached. */
  tools?: PromptTools;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };
export type Check<T> = (data: unknown) => Checked<T>;

/**
 * A line of the run's call ledger (llm-calls.jsonl): one per paid request. `cachedInputTokens` and
 * `reasoningTokens` (parts of the input and output tokens, 0 when the provider reports none) are always
 * written; `cachedInputCostUsd` (the part of `costUsd` paid for the cached input) and `cacheSavedUsd` only
 * when some input was cached. Lines of earlier releases have none of them: read as 0.
 */
export interface LedgerLine extends PaidUsage {
  role: string;
  provider: string;
  model: string;
  /** The request's cache key, shortened. */
  request: string;
  /** Answered by a batch (paid at the batch price). */
  batch?: true;
  batchId?: string;
}

export function ledgerLine(
  r: { role: string; providerName: string; model: string },
  key: string,
  usage: Usage,
  batchId?: string,
  cost?: Pick<Cost, 'cachedInputCostUsd' | 'cacheSavedUsd'>,
): LedgerLine {
  const cachedInputTokens = usage.cachedInputTokens ?? 0;
  return {
    role: r.role,
    provider: r.providerName,
    model: r.model,
    request: key.slice(0, 16),
    ...usage,
    cachedInputTokens,
    reasoningTokens: usage.reasoningTokens ?? 0,
    ...(cost && cachedInputTokens > 0
      ? { cachedInputCostUsd: cost.cachedInputCostUsd, cacheSavedUsd: cost.cacheSavedUsd }
      : {}),
    ...(batchId !== undefined ? { batch: true as const, batchId } : {}),
  };
}

/**
 * The usage of one paid answer and what it cost: cached input at the cached price, reasoning tokens (part
 * of the output tokens) as output.
 */
export function paidAnswer(
  r: Pick<LlmCallRole, 'price' | 'kind'>,
  t: { inputTokens: number; outputTokens: number; cachedInputTokens?: number; reasoningTokens?: number },
  batch = false,
): { usage: Usage; cost: Cost } {
  const cachedInputTokens = Math.min(Math.max(0, t.cachedInputTokens ?? 0), t.inputTokens);
  const reasoningTokens = Math.min(Math.max(0, t.reasoningTokens ?? 0), t.outputTokens);
  const cost = costOf(r.price, { ...t, cachedInputTokens }, { kind: r.kind, batch });
  return {
    usage: {
      requests: 1,
      cached: 0,
      inputTokens: t.inputTokens,
      outputTokens: t.outputTokens,
      costUsd: cost.costUsd,
      cachedInputTokens,
      reasoningTokens,
    },
    cost,
  };
}

/** Appends lines to the ledger in one write (a batch's lines all land, or none). */
export async function appendLedger(file: string, lines: LedgerLine[]): Promise<void> {
  if (lines.length === 0) return;
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.appendFile(file, lines.map((l) => JSON.stringify(l) + '\n').join(''));
}

/** A paid answer into the cache: a valid one for everyone, an invalid one only for this activity's retries. */
async function storeAnswer(
  r: LlmCallRole,
  key: string,
  scopedKey: string | undefined,
  answer: CachedResponse,
  valid: boolean,
): Promise<void> {
  if (!r.cache) return;
  if (valid) await cachePut(r.cacheDir, key, answer);
  else if (scopedKey) await cachePut(r.cacheDir, scopedKey, answer);
}

function inActivity(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** Keeps the activity's heartbeat going during a long provider call, so a dead worker is noticed quickly. */
async function withHeartbeat<T>(fn: () => Promise<T>): Promise<T> {
  const ctx = inActivity();
  const timer = ctx ? setInterval(() => ctx.heartbeat({ waiting: 'provider' }), 5000) : undefined;
  try {
    return await fn();
  } finally {
    if (timer) clearInterval(timer);
  }
}

/** One request, answered from the cache when this exact request was answered before. */
/**
 * Answers that failed validation are kept only for retries of the same activity (so a repair interrupted by
 * a 429 does not pay for the first answer again); a replay is a new activity and asks afresh.
 */
function attemptScope(): string | undefined {
  const info = inActivity()?.info;
  return info?.workflowExecution ? `${info.workflowExecution.runId}/${info.activityId}` : undefined;
}

async function send(
  r: LlmCallRole,
  messages: ChatMessage[],
  version: number,
  isValid: (text: string) => boolean,
  answerSchema?: AnswerSchema,
  tools?: PromptTools,
): Promise<{ answer: CachedResponse; usage: Usage; key: string }> {
  const key = sha256(
    stableStringify({
      kind: r.kind,
      baseURL: r.baseURL ?? '',
      model: r.model,
      version,
      messages,
      t: r.temperature,
      m: r.maxTokens,
      ...requestKeyExtras(r, answerSchema),
      ...toolsKey(tools),
    }),
  );
  const scope = attemptScope();
  const scopedKey = scope ? sha256(`${key}|${scope}`) : undefined;
  // a role in batch mode waits for its batch instead of asking the provider itself
  const produce = (): Promise<{ answer: CachedResponse; usage: Usage }> =>
    r.batch
      ? askBatch(r, messages, key, scopedKey, isValid, answerSchema)
      : ask(r, messages, key, scopedKey, isValid, answerSchema, tools);
  if (!r.cache) return { ...(await produce()), key };
  const found = await singleFlight({
    key,
    lockFile: path.join(r.cacheDir, key.slice(0, 2), `${key.slice(2)}.lock`),
    staleMs: r.timeoutMs + 10_000,
    lookup: async () => {
      const hit =
        (await cacheGet(r.cacheDir, key)) ?? (scopedKey ? await cacheGet(r.cacheDir, scopedKey) : undefined);
      return hit ? { answer: hit, usage: { ...NO_USAGE, cached: 1 } } : undefined;
    },
    produce,
    onWait: () => inActivity()?.heartbeat({ waiting: 'identical request in flight elsewhere' }),
  });
  return { ...found, key };
}

/** The request itself (no cache lookup): rate limits, the provider call, the cache entry, the ledger. */
async function ask(
  r: LlmCallRole,
  messages: ChatMessage[],
  key: string,
  scopedKey: string | undefined,
  isValid: (text: string) => boolean,
  answerSchema?: AnswerSchema,
  tools?: PromptTools,
): Promise<{ answer: CachedResponse; usage: Usage }> {
  const estimate = Math.ceil(messages.reduce((n, m) => n + m.content.length, 0) / 4) + (r.maxTokens ?? 1024);
  // every request, and only a request, takes a slot of its provider's pacer (rate share, AIMD, cool-downs)
  const ctx = inActivity();
  const ticket = await acquire(r.providerName, estimate, {
    tokensPerMinute: r.tokensPerMinute,
    heartbeat: () => ctx?.heartbeat({ waiting: 'rate limit' }),
    signal: ctx?.cancellationSignal,
  });
  let res;
  try {
    res = await withHeartbeat(() =>
      callProvider(r, {
        messages,
        answerSchema,
        ...(tools ? { tools: tools.specs } : {}),
        signal: inActivity()?.cancellationSignal,
      }),
    );
  } catch (err) {
    // a body cut, empty or not JSON, a connection cut mid-answer: the provider's fault, retried like a 5xx
    const e = ctx?.cancellationSignal.aborted ? undefined : answerFault(r.providerName, err);
    const limited = e?.status === 429;
    release(ticket, limited ? { kind: '429', retryAfterMs: e.retryAfterMs } : { kind: 'other' });
    if (!e) throw err;
    if (!e.transient)
      throw ApplicationFailure.create({
        message: e.message,
        type: FailureType.LlmRejected,
        nonRetryable: true,
      });
    // Honour Retry-After, with jitter so that many workers do not come back at the same instant.
    const delay = e.retryAfterMs !== undefined ? e.retryAfterMs + Math.floor(Math.random() * 500) : undefined;
    throw ApplicationFailure.create({
      message: e.message,
      type: e.status === 429 ? FailureType.LlmRateLimited : FailureType.LlmUnavailable,
      nextRetryDelay: delay,
    });
  }
  release(ticket, {
    kind: 'ok',
    headers: res.headers,
    tokens: res.inputTokens + res.outputTokens,
    tokensNeeded: estimate,
  });
  // tools mode: the role's answer built from the tool calls, so the cache gives back the same answer
  const text = tools ? toolsAnswerText(tools, res) : res.text;
  const answer: CachedResponse = {
    text,
    inputTokens: res.inputTokens,
    outputTokens: res.outputTokens,
    model: r.model,
  };
  const { usage, cost } = paidAnswer(r, res);
  await storeAnswer(r, key, scopedKey, answer, isValid(text));
  await appendLedger(r.ledgerFile, [ledgerLine(r, key, usage, undefined, cost)]);
  return { answer, usage };
}

/**
 * The request of a role in batch mode: handed to the run's batcher, answered when its batch ends (the
 * batcher wrote the ledger line at the batch price), then stored in the cache as ask() stores an answer.
 */
async function askBatch(
  r: LlmCallRole,
  messages: ChatMessage[],
  key: string,
  scopedKey: string | undefined,
  isValid: (text: string) => boolean,
  answerSchema?: AnswerSchema,
): Promise<{ answer: CachedResponse; usage: Usage }> {
  const got = await waitForBatchAnswer(r, messages, key, answerSchema);
  await storeAnswer(r, key, scopedKey, got.answer, isValid(got.answer.text));
  await got.consume();
  return { answer: got.answer, usage: got.usage };
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  const trimmed = text
    .trim()
    .replace(/^```(?:json)?\s*/, '')
    .replace(/\s*```$/, '');
  try {
    return { ok: true, value: JSON.parse(trimmed) as unknown };
  } catch (e) {
    return { ok: false, error: `not valid JSON: ${(e as Error).message}` };
  }
}

/**
 * Asks for a JSON answer and checks it. An invalid answer (bad JSON, wrong shape, unknown function...) gets
 * one repair request quoting the problem; if that fails too, the activity fails for good with the raw
 * answers attached, so the turn records why.
 */
export async function completeJson<T>(
  r: LlmCallRole,
  prompt: Prompt,
  check: Check<T>,
): Promise<{ value: T; usage: Usage }> {
  const system = `${roleLine(r.role, prompt.version)}\n${r.systemPrompt ?? prompt.system}`;
  const version = r.systemPrompt ? Number.parseInt(sha256(r.systemPrompt).slice(0, 8), 16) : prompt.version;
  const messages: ChatMessage[] = [
    { role: 'system', content: system },
    { role: 'user', content: prompt.user },
  ];
  const validate = (text: string): ReturnType<Check<T>> => {
    const parsed = parseJson(text);
    return parsed.ok ? check(parsed.value) : parsed;
  };
  const isValid = (text: string): boolean => validate(text).ok;
  const first = await send(r, messages, version, isValid, prompt.answerSchema, prompt.tools);
  const v1 = validate(first.answer.text);
  if (v1.ok) {
    noteValid(r);
    return { value: v1.value, usage: first.usage };
  }
  const repair: ChatMessage[] = [
    ...messages,
    { role: 'assistant', content: first.answer.text },
    {
      role: 'user',
      content: `That answer is invalid: ${v1.error}\n${prompt.tools?.repair ?? 'Reply with only the corrected JSON object.'}`,
    },
  ];
  const second = await send(r, repair, version, isValid, prompt.answerSchema, prompt.tools);
  const usage = addUsage(first.usage, second.usage);
  const v2 = validate(second.answer.text);
  if (v2.ok) {
    // the repaired answer is this request's answer: the next identical request gets it at once
    if (r.cache) await cachePut(r.cacheDir, first.key, second.answer);
    noteValid(r);
    return { value: v2.value, usage };
  }
  // a role whose answers keep failing is unfit: the workflows pause the run with this line (llm/fitness)
  const unfit = noteInvalid(r, v2.error);
  throw ApplicationFailure.create({
    message: `${r.role}: invalid answer from ${r.model} after one repair: ${v2.error}`,
    type: FailureType.LlmInvalidOutput,
    nonRetryable: true,
    details: [
      {
        role: r.role,
        error: v2.error,
        firstError: v1.error,
        raw: first.answer.text.slice(0, 4000),
        repairRaw: second.answer.text.slice(0, 4000),
        usage,
        ...(unfit ? { unfit } : {}),
      },
    ],
  });
}
