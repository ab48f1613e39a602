import type { ProviderConfig, ResolvedRole } from '../../core/config';
import { fetchFailure } from '../../core/fetch-failure';

/** What every provider module implements; `index.ts` maps each provider kind to one. */
export type LlmCallRole = Extract<ResolvedRole, { provider: 'llm' }>;
export type ProviderKind = ProviderConfig['kind'];

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/**
 * The JSON Schema a role's answer must match (from the role's zod schema, `z.toJSONSchema`), for providers that
 * can constrain an answer to it (structured outputs). Absent: the answer is asked for as a JSON object only.
 */
export interface AnswerSchema {
  /** A name for it (the role's), as OpenAI's json_schema asks: letters, digits, _ and -. */
  name: string;
  schema: Record<string, unknown>;
}

/** A function offered to the model as a native tool (tools mode): its safe name (core/names), its schema. */
export interface ToolSpec {
  name: string;
  description: string;
  /** The parameters' JSON Schema (an object schema). */
  parameters: Record<string, unknown>;
}

/**
 * A native tool call of an answer (OpenAI `tool_calls`, Gemini `functionCall` parts), in the answer's order:
 * the tool's name and its arguments, parsed (arguments that are not JSON stay the string the model wrote,
 * for the role's check to refuse).
 */
export interface ToolCall {
  name: string;
  arguments: unknown;
}

/**
 * One request to a provider: the messages, the answer's schema if any (JSON mode), the tools the answer may
 * call (tools mode: the answer is tool calls and text, no response format), the signal that abandons it.
 */
export interface ProviderRequest {
  messages: ChatMessage[];
  answerSchema?: AnswerSchema;
  tools?: ToolSpec[];
  signal?: AbortSignal;
}

export interface ProviderAnswer {
  text: string;
  /** The answer's native tool calls, when the request sent tools (empty: the model called none). */
  toolCalls?: ToolCall[];
  /** Every input token, the cached ones included. */
  inputTokens: number;
  /** Every output token, the reasoning ones included. */
  outputTokens: number;
  /** Of the input tokens, those the provider served from its prompt cache (priced at its discount). */
  cachedInputTokens?: number;
  /** Of the output tokens, those a reasoning model spent thinking (priced as output, never seen). */
  reasoningTokens?: number;
  /** Rate-limit headers, lower-cased (OpenAI-compatible servers send them; Gemini does not). */
  headers: Record<string, string>;
}

/** Where a provider is and which variable holds its key: all a preflight needs. */
export interface ProviderEndpoint {
  providerName: string;
  baseURL: string;
  /** Empty for Vertex AI, which takes the environment's Google Cloud credentials. */
  apiKeyEnv: string;
  /** Gemini on Vertex AI. */
  vertex?: { project: string; location: string };
}

export interface Provider {
  /** The endpoint the SDK uses when the config names no baseURL. */
  defaultBaseURL: string;
  /** One request; its `signal` aborts it (the activity was cancelled). */
  call(r: LlmCallRole, req: ProviderRequest): Promise<ProviderAnswer>;
  /**
   * One cheap request with the key (the models list) before a run starts: undefined when the endpoint
   * answers and takes the key, else what is wrong and what to check, in a few words.
   */
  preflight(p: ProviderEndpoint, timeoutMs: number): Promise<string | undefined>;
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

export function classify(status: number | undefined, message: string, retryAfterMs?: number): ProviderError {
  const transient =
    status === undefined || status === 408 || status === 409 || status === 429 || status >= 500;
  return new ProviderError(message, status, transient, retryAfterMs);
}

/** The key is read from the environment at call time and never leaves the provider call's scope. */
export function apiKey(r: Pick<LlmCallRole, 'providerName' | 'apiKeyEnv'>): string {
  const key = process.env[r.apiKeyEnv];
  if (!key)
    throw new ProviderError(
      `environment variable ${r.apiKeyEnv} (API key for provider ${r.providerName}) is not set`,
      undefined,
      false,
    );
  return key;
}

/**
 * GET `url` with `headers` (the key) within `timeoutMs`. Any HTTP answer but 401/403 counts as reachable:
 * some OpenAI-compatible servers have no models list and answer 404, yet serve chat completions.
 */
export async function probe(
  p: ProviderEndpoint,
  url: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<string | undefined> {
  try {
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    if (res.status === 401 || res.status === 403)
      return `the API key in ${p.apiKeyEnv} was refused (HTTP ${res.status}) — check the key`;
    return undefined;
  } catch (e) {
    return unreachable(p, url, e, timeoutMs);
  }
}

/** Why a preflight request to `url` got no HTTP answer, and the config field to check. */
export function unreachable(p: ProviderEndpoint, url: string, e: unknown, timeoutMs: number): string {
  const checkURL = `check llm.providers.${p.providerName}.baseURL`;
  const { code, reason } = fetchFailure(e, timeoutMs, url);
  return `${reason} — ${checkURL}${code === 'TimeoutError' ? ' and the network' : ''}`;
}
