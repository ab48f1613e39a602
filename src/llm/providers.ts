import { GoogleGenerativeAI, GoogleGenerativeAIFetchError } from '@google/generative-ai';
import OpenAI from 'openai';
import type { ResolvedRole } from '../core/config';
import { parseDuration } from './limiter';

type LlmRole = Extract<ResolvedRole, { provider: 'llm' }>;

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ProviderAnswer {
  text: string;
  inputTokens: number;
  outputTokens: number;
  /** Rate-limit headers, lower-cased (OpenAI-compatible servers send them; Gemini does not). */
  headers: Record<string, string>;
}

/** A provider call that failed; `transient` ones (429, 5xx, timeouts, connection) are worth retrying. */
export class ProviderError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly transient: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

/** The key is read from the environment at call time and never leaves this function's scope. */
function apiKey(r: LlmRole): string {
  const key = process.env[r.apiKeyEnv];
  if (!key)
    throw new ProviderError(
      `environment variable ${r.apiKeyEnv} (API key for provider ${r.providerName}) is not set`,
      undefined,
      false,
    );
  return key;
}

const openaiClients = new Map<string, OpenAI>();

function openai(r: LlmRole): OpenAI {
  const id = `${r.baseURL ?? ''}|${r.apiKeyEnv}|${r.timeoutMs}`;
  let c = openaiClients.get(id);
  if (!c) {
    // Retries belong to Temporal's retry policy, not to the SDK: one attempt per activity attempt.
    c = new OpenAI({ apiKey: apiKey(r), baseURL: r.baseURL, maxRetries: 0, timeout: r.timeoutMs });
    openaiClients.set(id, c);
  }
  return c;
}

function retryAfter(headers: Headers | Record<string, string> | undefined): number | undefined {
  if (!headers) return undefined;
  const get = (k: string): string | null | undefined =>
    headers instanceof Headers ? headers.get(k) : (headers as Record<string, string>)[k];
  const ms = get('retry-after-ms');
  if (ms && !Number.isNaN(Number(ms))) return Number(ms);
  const s = get('retry-after');
  if (!s) return undefined;
  if (!Number.isNaN(Number(s))) return Number(s) * 1000;
  const date = Date.parse(s);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function classify(status: number | undefined, message: string, retryAfterMs?: number): ProviderError {
  const transient =
    status === undefined || status === 408 || status === 409 || status === 429 || status >= 500;
  return new ProviderError(message, status, transient, retryAfterMs);
}

async function callOpenAI(r: LlmRole, messages: ChatMessage[]): Promise<ProviderAnswer> {
  try {
    const { data, response } = await openai(r)
      .chat.completions.create({
        model: r.model,
        messages,
        response_format: { type: 'json_object' },
        ...(r.temperature !== undefined ? { temperature: r.temperature } : {}),
        ...(r.maxTokens !== undefined ? { max_tokens: r.maxTokens } : {}),
      })
      .withResponse();
    const headers: Record<string, string> = {};
    response.headers.forEach((v, k) => {
      if (k.startsWith('x-ratelimit-')) headers[k] = v;
    });
    return {
      text: data.choices[0]?.message?.content ?? '',
      inputTokens: data.usage?.prompt_tokens ?? 0,
      outputTokens: data.usage?.completion_tokens ?? 0,
      headers,
    };
  } catch (e) {
    if (e instanceof OpenAI.APIError) {
      const status = typeof e.status === 'number' ? e.status : undefined;
      throw classify(
        status,
        `${r.providerName} ${status ?? 'connection'} error: ${e.message}`,
        retryAfter(e.headers as Headers | undefined),
      );
    }
    throw e;
  }
}

async function callGemini(r: LlmRole, messages: ChatMessage[]): Promise<ProviderAnswer> {
  const system = messages
    .filter((m) => m.role === 'system')
    .map((m) => m.content)
    .join('\n\n');
  const contents = messages
    .filter((m) => m.role !== 'system')
    .map((m) => ({ role: m.role === 'assistant' ? 'model' : 'user', parts: [{ text: m.content }] }));
  const model = new GoogleGenerativeAI(apiKey(r)).getGenerativeModel(
    {
      model: r.model,
      systemInstruction: system,
      generationConfig: {
        responseMimeType: 'application/json',
        ...(r.temperature !== undefined ? { temperature: r.temperature } : {}),
        ...(r.maxTokens !== undefined ? { maxOutputTokens: r.maxTokens } : {}),
      },
    },
    { baseUrl: r.baseURL, timeout: r.timeoutMs },
  );
  try {
    const result = await model.generateContent({ contents });
    const usage = result.response.usageMetadata;
    return {
      text: result.response.text(),
      inputTokens: usage?.promptTokenCount ?? 0,
      outputTokens: usage?.candidatesTokenCount ?? 0,
      headers: {},
    };
  } catch (e) {
    if (e instanceof GoogleGenerativeAIFetchError) {
      // Gemini's SDK hides response headers; the delay comes as google.rpc.RetryInfo in the error details.
      const info = (e.errorDetails ?? []).find((d) => String(d['@type'] ?? '').endsWith('RetryInfo')) as
        { retryDelay?: string } | undefined;
      throw classify(
        e.status,
        `${r.providerName} ${e.status ?? 'connection'} error: ${e.message}`,
        parseDuration(info?.retryDelay),
      );
    }
    const msg = (e as Error).message ?? String(e);
    // the SDK reports aborts/timeouts and network failures as plain errors
    if (/abort|timeout|fetch failed|ECONN|socket/i.test(msg))
      throw classify(undefined, `${r.providerName}: ${msg}`);
    throw e;
  }
}

export function callProvider(r: LlmRole, messages: ChatMessage[]): Promise<ProviderAnswer> {
  return r.kind === 'openai' ? callOpenAI(r, messages) : callGemini(r, messages);
}
