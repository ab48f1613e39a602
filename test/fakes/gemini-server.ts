import { BadRequest, startFakeServer, type Adapter, type FakeOptions, type FakeServer } from './common';

/**
 * A fake Gemini API: `POST /v1beta/models/{model}:generateContent` and `GET /v1beta/models`, as called by `@google/generative-ai`
 * with `getGenerativeModel({...}, { baseUrl: server.url })`. The key arrives in `x-goog-api-key`
 * (or `?key=`), the system prompt as `systemInstruction: {role:'system', parts:[{text}]}`.
 */

interface Content {
  role?: string;
  parts?: { text?: unknown }[];
}

function partsText(c: Content | undefined): string {
  return (c?.parts ?? []).map((p) => (typeof p?.text === 'string' ? p.text : '')).join('');
}

const STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

const geminiAdapter: Adapter = {
  name: 'gemini',
  key(headers, url) {
    const header = headers['x-goog-api-key'];
    return (typeof header === 'string' && header) || url.searchParams.get('key') || undefined;
  },
  models(method, url) {
    if (method !== 'GET' || !/^\/(v1beta|v1)\/models$/.test(url.pathname)) return undefined;
    return { status: 200, body: { models: [{ name: 'models/fake-model', displayName: 'fake' }] } };
  },
  parse(method, url, headers, body) {
    const m = /^\/(v1beta|v1)\/((?:models|tunedModels)\/[^/:]+):generateContent$/.exec(url.pathname);
    if (method !== 'POST' || !m) return undefined;
    const b = body as { contents?: unknown; systemInstruction?: unknown; generationConfig?: unknown };
    if (!Array.isArray(b.contents) || b.contents.length === 0)
      throw new BadRequest('"contents" must be a non-empty array');
    const contents = b.contents as Content[];
    const sys =
      typeof b.systemInstruction === 'string'
        ? b.systemInstruction
        : partsText(b.systemInstruction as Content | undefined);
    const texts = contents.map(partsText);
    const model = (m[2] as string).replace(/^(models|tunedModels)\//, '');
    return {
      model,
      system: sys,
      userTexts: contents
        .map((c, i) => ((c.role ?? 'user') === 'user' ? texts[i] : undefined))
        .filter((t): t is string => t !== undefined),
      promptChars: sys.length + texts.reduce((a, t) => a + t.length, 0),
      hashBasis: {
        model,
        contents: b.contents,
        systemInstruction: b.systemInstruction ?? null,
        generationConfig: b.generationConfig ?? null,
      },
      apiKey: this.key(headers, url),
    };
  },
  success(content, usage, req) {
    return {
      status: 200,
      body: {
        candidates: [
          { content: { role: 'model', parts: [{ text: content }] }, finishReason: 'STOP', index: 0 },
        ],
        usageMetadata: {
          promptTokenCount: usage.prompt,
          candidatesTokenCount: usage.completion,
          totalTokenCount: usage.prompt + usage.completion,
        },
        modelVersion: req.model,
      },
    };
  },
  error(status, message, { retryAfterSeconds }) {
    const error: Record<string, unknown> = { code: status, message, status: STATUS[status] ?? 'UNKNOWN' };
    // Like the real API: the retry delay of a 429 is a RetryInfo detail (the SDK exposes it as errorDetails).
    if (status === 429 && retryAfterSeconds !== undefined)
      error.details = [
        { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${retryAfterSeconds}s` },
      ];
    return { status, body: { error } };
  },
};

export function startFakeGemini(options: FakeOptions = {}): Promise<FakeServer> {
  return startFakeServer(geminiAdapter, options);
}
