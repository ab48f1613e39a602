import { BadRequest, startFakeServer, type Adapter, type FakeOptions, type FakeServer } from './common';

/**
 * A fake OpenAI Chat Completions API: `POST /v1/chat/completions` and `GET /v1/models`, for the real `openai` SDK with
 * `baseURL: server.url + '/v1'`. Answers come from the brain (offline rules), faults and scripts from
 * common.ts.
 */

interface ChatMessage {
  role: string;
  content?: unknown;
}

/** Message content: a string or an array of parts ({type:'text', text}). */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((p) =>
        p && typeof p === 'object' && typeof (p as { text?: unknown }).text === 'string'
          ? (p as { text: string }).text
          : '',
      )
      .join('');
  }
  return '';
}

const openaiAdapter: Adapter = {
  name: 'openai',
  key(headers) {
    const auth = headers.authorization;
    if (typeof auth !== 'string' || !auth) return undefined;
    return /^Bearer\s+(.+)$/i.exec(auth)?.[1] ?? auth;
  },
  models(method, url) {
    if (method !== 'GET' || url.pathname !== '/v1/models') return undefined;
    return {
      status: 200,
      body: { object: 'list', data: [{ id: 'fake-model', object: 'model', created: 0, owned_by: 'magnet' }] },
    };
  },
  parse(method, url, headers, body) {
    if (method !== 'POST' || url.pathname !== '/v1/chat/completions') return undefined;
    const b = body as { model?: unknown; messages?: unknown; response_format?: unknown };
    if (typeof b.model !== 'string' || !b.model) throw new BadRequest('"model" is required');
    if (!Array.isArray(b.messages) || b.messages.length === 0)
      throw new BadRequest('"messages" must be a non-empty array');
    const messages = b.messages as ChatMessage[];
    const texts = messages.map((m) => contentText(m.content));
    return {
      model: b.model,
      system: messages
        .map((m, i) => (m.role === 'system' || m.role === 'developer' ? texts[i] : undefined))
        .filter((t): t is string => t !== undefined)
        .join('\n'),
      userTexts: messages
        .map((m, i) => (m.role === 'user' ? texts[i] : undefined))
        .filter((t): t is string => t !== undefined),
      promptChars: texts.reduce((a, t) => a + t.length, 0),
      hashBasis: { model: b.model, messages: b.messages, response_format: b.response_format ?? null },
      apiKey: this.key(headers, url),
    };
  },
  success(content, usage, req, index) {
    return {
      status: 200,
      headers: { 'x-request-id': `req_fake_${index}` },
      body: {
        id: `chatcmpl-fake-${index}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: req.model,
        system_fingerprint: 'fp_fake',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content, refusal: null },
            logprobs: null,
            finish_reason: 'stop',
          },
        ],
        usage: {
          prompt_tokens: usage.prompt,
          completion_tokens: usage.completion,
          total_tokens: usage.prompt + usage.completion,
        },
      },
    };
  },
  error(status, message) {
    const [type, code] =
      status === 429
        ? ['tokens', 'rate_limit_exceeded']
        : status >= 500
          ? ['server_error', null]
          : status === 404
            ? ['invalid_request_error', 'not_found']
            : ['invalid_request_error', null];
    return { status, body: { error: { message, type, param: null, code } } };
  },
  headers({ tokensLastMinute, requestsLastMinute }, opts) {
    const tokens = opts.rateLimit?.tokensPerMinute ?? 1_000_000;
    const requests = opts.rateLimit?.requestsPerMinute ?? 10_000;
    return {
      'x-ratelimit-limit-tokens': String(tokens),
      'x-ratelimit-remaining-tokens': String(Math.max(0, tokens - tokensLastMinute)),
      'x-ratelimit-reset-tokens': '1s',
      'x-ratelimit-limit-requests': String(requests),
      'x-ratelimit-remaining-requests': String(Math.max(0, requests - requestsLastMinute)),
      'x-ratelimit-reset-requests': '1s',
    };
  },
};

export function startFakeOpenAI(options: FakeOptions = {}): Promise<FakeServer> {
  return startFakeServer(openaiAdapter, options);
}
