import OpenAI from 'openai';
import {
  apiKey,
  classify,
  probe,
  type ChatMessage,
  type LlmCallRole,
  type Provider,
  type ProviderAnswer,
  type ProviderRequest,
} from './provider';

/** OpenAI and every OpenAI-compatible server (vLLM, Ollama, llama.cpp, LiteLLM, OpenRouter). */
const clients = new Map<string, OpenAI>();

export function client(r: Pick<LlmCallRole, 'baseURL' | 'apiKeyEnv' | 'timeoutMs' | 'providerName'>): OpenAI {
  const id = `${r.baseURL ?? ''}|${r.apiKeyEnv}|${r.timeoutMs}`;
  let c = clients.get(id);
  if (!c) {
    // Retries belong to Temporal's retry policy, not to the SDK: one attempt per activity attempt.
    c = new OpenAI({ apiKey: apiKey(r), baseURL: r.baseURL, maxRetries: 0, timeout: r.timeoutMs });
    clients.set(id, c);
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

/** The chat completion request of a role (also the body of its line in a batch file). */
export function chatBody(
  r: Pick<LlmCallRole, 'model' | 'temperature' | 'maxTokens'>,
  messages: ChatMessage[],
): OpenAI.ChatCompletionCreateParamsNonStreaming {
  return {
    model: r.model,
    messages,
    response_format: { type: 'json_object' },
    ...(r.temperature !== undefined ? { temperature: r.temperature } : {}),
    ...(r.maxTokens !== undefined ? { max_tokens: r.maxTokens } : {}),
  };
}

async function callOpenAI(r: LlmCallRole, { messages, signal }: ProviderRequest): Promise<ProviderAnswer> {
  try {
    const { data, response } = await client(r)
      .chat.completions.create(chatBody(r, messages), { signal })
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

export const openai: Provider = {
  defaultBaseURL: 'https://api.openai.com/v1',
  call: callOpenAI,
  preflight: (p, timeoutMs) =>
    probe(p, `${p.baseURL.replace(/\/+$/, '')}/models`, { authorization: `Bearer ${apiKey(p)}` }, timeoutMs),
};
