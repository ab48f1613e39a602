import { GoogleGenerativeAI, GoogleGenerativeAIFetchError } from '@google/generative-ai';
import { parseDuration } from '../limiter';
import {
  apiKey,
  classify,
  probe,
  type LlmCallRole,
  type Provider,
  type ProviderAnswer,
  type ProviderRequest,
} from './provider';

async function callGemini(r: LlmCallRole, { messages, signal }: ProviderRequest): Promise<ProviderAnswer> {
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
    const result = await model.generateContent({ contents }, { signal });
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

export const gemini: Provider = {
  defaultBaseURL: 'https://generativelanguage.googleapis.com',
  call: callGemini,
  // the SDK puts the API version after the base URL
  preflight: (p, timeoutMs) =>
    probe(p, `${p.baseURL.replace(/\/+$/, '')}/v1beta/models`, { 'x-goog-api-key': apiKey(p) }, timeoutMs),
};
