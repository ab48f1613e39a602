import path from 'node:path';
import { z } from 'zod';
import { Usage } from '../core/usage';
import { CachedResponse } from './cache';

/**
 * Batch mode's data: what a waiting step tells the batcher, the batch files in OpenAI's format (JSONL of
 * requests in, JSONL of results out) and where requests and results wait on disk. Pure, no I/O.
 */

export const BATCH_STATUSES_DONE = ['completed', 'failed', 'expired', 'cancelled'] as const;

/** Where a run's batch requests, results and bookkeeping live, under the cache folder. */
export function batchPaths(
  cacheDir: string,
  runId: string,
): {
  request: (key: string) => string;
  result: (key: string) => string;
  submission: (name: string) => string;
  collected: (batchId: string) => string;
} {
  const dir = path.join(cacheDir, 'batch', encodeURIComponent(runId));
  return {
    request: (key) => path.join(dir, 'requests', `${key}.json`),
    result: (key) => path.join(dir, 'results', `${key}.json`),
    submission: (name) => path.join(dir, 'submissions', `${encodeURIComponent(name)}.json`),
    collected: (batchId) => path.join(dir, 'collected', `${encodeURIComponent(batchId)}`),
  };
}

/** A request body as stored for its batch (the body of a chat completion). */
export const BatchRequestFile = z.object({ body: z.record(z.string(), z.unknown()) });

/** The answer of a batch item for its waiting step, or why it has none after its last attempt. */
export const BatchResult = z.union([
  z.object({ answer: CachedResponse, usage: Usage, batchId: z.string() }),
  z.object({ error: z.string() }),
]);
export type BatchResult = z.infer<typeof BatchResult>;

export const CHAT_ENDPOINT = '/v1/chat/completions';

/** The batch input file: one line per request, `custom_id` the request's key. */
export function batchJsonl(requests: { key: string; body: unknown }[]): string {
  return requests
    .map((r) => JSON.stringify({ custom_id: r.key, method: 'POST', url: CHAT_ENDPOINT, body: r.body }))
    .join('\n')
    .concat('\n');
}

/** A line of a batch's output or error file (OpenAI's BatchRequestOutput). */
const OutputLine = z.object({
  id: z.string().optional(),
  custom_id: z.string(),
  response: z
    .object({
      status_code: z.number(),
      request_id: z.string().optional(),
      body: z.unknown(),
    })
    .nullable()
    .optional(),
  error: z
    .object({ code: z.string().nullable().optional(), message: z.string().nullable().optional() })
    .nullable()
    .optional(),
});

const ChatCompletion = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string().nullable().optional() }) })).min(1),
  usage: z
    .object({
      prompt_tokens: z.number(),
      completion_tokens: z.number(),
      prompt_tokens_details: z.object({ cached_tokens: z.number().nullish() }).nullish().catch(undefined),
      completion_tokens_details: z
        .object({ reasoning_tokens: z.number().nullish() })
        .nullish()
        .catch(undefined),
    })
    .optional(),
});

export type ItemOutcome =
  | {
      ok: true;
      text: string;
      inputTokens: number;
      outputTokens: number;
      /** Of the input tokens, served from the prompt cache; of the output tokens, spent reasoning. */
      cachedInputTokens: number;
      reasoningTokens: number;
    }
  | { ok: false; error: string };

function errorOf(body: unknown): string | undefined {
  const e = (body as { error?: { message?: unknown } } | null)?.error;
  return typeof e?.message === 'string' ? e.message : undefined;
}

/**
 * The outcome of each item in a batch's output and error files (JSONL), by custom_id. A line that is not
 * a 200 chat completion is a failed item; an unreadable line is skipped (its item counts as missing).
 */
export function parseBatchOutput(...files: string[]): Map<string, ItemOutcome> {
  const out = new Map<string, ItemOutcome>();
  for (const text of files) {
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      let parsed;
      try {
        parsed = OutputLine.safeParse(JSON.parse(line));
      } catch {
        continue;
      }
      if (!parsed.success) continue;
      const l = parsed.data;
      if (l.error) {
        out.set(l.custom_id, { ok: false, error: `${l.error.code ?? 'error'}: ${l.error.message ?? ''}` });
        continue;
      }
      const status = l.response?.status_code;
      const chat = ChatCompletion.safeParse(l.response?.body);
      if (status !== 200 || !chat.success) {
        const why = errorOf(l.response?.body) ?? (chat.success ? '' : 'not a chat completion');
        out.set(l.custom_id, { ok: false, error: `HTTP ${status ?? '?'}${why ? `: ${why}` : ''}` });
        continue;
      }
      out.set(l.custom_id, {
        ok: true,
        text: chat.data.choices[0]?.message.content ?? '',
        inputTokens: chat.data.usage?.prompt_tokens ?? 0,
        outputTokens: chat.data.usage?.completion_tokens ?? 0,
        cachedInputTokens: chat.data.usage?.prompt_tokens_details?.cached_tokens ?? 0,
        reasoningTokens: chat.data.usage?.completion_tokens_details?.reasoning_tokens ?? 0,
      });
    }
  }
  return out;
}
