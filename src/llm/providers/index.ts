import { gemini } from './gemini';
import { openai } from './openai';
import type { LlmCallRole, Provider, ProviderAnswer, ProviderKind, ProviderRequest } from './provider';

export {
  ProviderError,
  type AnswerSchema,
  type ChatMessage,
  type LlmCallRole,
  type ProviderAnswer,
  type ProviderRequest,
} from './provider';

/** One entry per provider kind of the config: a kind without one (or without a preflight) does not compile. */
export const PROVIDERS: Record<ProviderKind, Provider> = { openai, gemini };

/**
 * Sends one request. When `signal` aborts (the activity was cancelled), the request is abandoned and the
 * abort's reason is thrown: a cancellation, not a provider failure to retry.
 */
export async function callProvider(r: LlmCallRole, req: ProviderRequest): Promise<ProviderAnswer> {
  const { signal } = req;
  try {
    // The SDKs add an abort listener to the signal per request and leave it there: each request gets a
    // signal of its own, following the activity's, which may live through many requests.
    return await PROVIDERS[r.kind].call(r, { ...req, signal: signal && AbortSignal.any([signal]) });
  } catch (e) {
    if (signal?.aborted) throw signal.reason;
    throw e;
  }
}
