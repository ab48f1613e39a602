import type { ProviderConfig, ResolvedRole } from '../../core/config';

/** What every provider module implements; `index.ts` maps each provider kind to one. */
export type LlmCallRole = Extract<ResolvedRole, { provider: 'llm' }>;
export type ProviderKind = ProviderConfig['kind'];

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

/** One request; `signal` aborts it (the activity was cancelled). */
export type Provider = (
  r: LlmCallRole,
  messages: ChatMessage[],
  signal?: AbortSignal,
) => Promise<ProviderAnswer>;

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
export function apiKey(r: LlmCallRole): string {
  const key = process.env[r.apiKeyEnv];
  if (!key)
    throw new ProviderError(
      `environment variable ${r.apiKeyEnv} (API key for provider ${r.providerName}) is not set`,
      undefined,
      false,
    );
  return key;
}
