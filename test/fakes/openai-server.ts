import type http from 'node:http';
import { createRng, deriveSeed, hash32 } from '../../src/core/rng';
import { answer, asToolCalls } from './brain';
import {
  BadRequest,
  BATCH_ITEM_HEADER,
  startFakeServer,
  type Adapter,
  type FakeOptions,
  type FakeServer,
  type Reply,
  type Script,
  type ScriptRequest,
} from './common';
import { FakePromptCache, type PromptCacheOptions } from './prompt-cache';

/**
 * A fake OpenAI Chat Completions API: `POST /v1/chat/completions` and `GET /v1/models`, for the real `openai` SDK with
 * `baseURL: server.url + '/v1'`. Answers come from the brain (offline rules), faults and scripts from
 * common.ts. The Batch API too: `POST /v1/files` (multipart), `POST /v1/batches`, `GET /v1/batches/:id`,
 * `GET /v1/files/:id/content`; each item of a batch is answered by a chat completion the server sends
 * itself (so it is in the log, marked with its batch, with the same brain, scripts and faults).
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

/** What the API checks of `tools`: function tools with a name it takes and an object schema. */
function checkTools(tools: unknown): void {
  if (!Array.isArray(tools)) throw new BadRequest('"tools" must be an array');
  for (const [i, t] of tools.entries()) {
    const tool = t as {
      type?: unknown;
      function?: { name?: unknown; parameters?: { type?: unknown } };
    } | null;
    if (tool?.type !== 'function') throw new BadRequest(`tools[${i}].type must be "function"`);
    const name = tool.function?.name;
    if (typeof name !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(name))
      throw new BadRequest(
        `Invalid 'tools[${i}].function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`,
      );
    const params = tool.function?.parameters;
    if (params !== undefined && params.type !== 'object')
      throw new BadRequest(`tools[${i}].function.parameters must be an object schema`);
  }
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
    const b = body as { model?: unknown; messages?: unknown; response_format?: unknown; tools?: unknown };
    if (typeof b.model !== 'string' || !b.model) throw new BadRequest('"model" is required');
    if (b.tools !== undefined) checkTools(b.tools);
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
      hashBasis: {
        model: b.model,
        messages: b.messages,
        response_format: b.response_format ?? null,
        ...(b.tools !== undefined ? { tools: b.tools } : {}),
      },
      apiKey: this.key(headers, url),
    };
  },
  success(content, usage, req, index) {
    // a request that sent tools is answered with tool_calls (the brain's calls), as the API does
    const sent = (req.hashBasis as { tools?: unknown[] }).tools;
    const calls = sent?.length ? asToolCalls(content) : undefined;
    const message = calls
      ? {
          role: 'assistant',
          content: calls.text || null,
          refusal: null,
          ...(calls.calls.length > 0
            ? {
                tool_calls: calls.calls.map((c, i) => ({
                  id: `call_fake_${index}_${i}`,
                  type: 'function',
                  function: { name: c.name, arguments: JSON.stringify(c.arguments ?? {}) },
                })),
              }
            : {}),
        }
      : { role: 'assistant', content, refusal: null };
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
            message,
            logprobs: null,
            finish_reason: calls?.calls.length ? 'tool_calls' : 'stop',
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

export interface FakeBatchOptions {
  /** Time from a batch's creation until it is processed (default 0: at the first poll after validation). */
  completeAfterMs?: number;
  /** Batches stay in_progress until `holdBatches(false)` (to crash things while a batch is pending). */
  hold?: boolean;
}

/** A batch as the fake keeps it: OpenAI's Batch object, the key it was created with, the items. */
export interface FakeBatch {
  id: string;
  status: 'validating' | 'failed' | 'in_progress' | 'finalizing' | 'completed';
  /** The lines of its input file. */
  requests: number;
  createdAt: number;
  object: Record<string, unknown>;
}

/**
 * Known differences of OpenAI-compatible servers (vLLM, llama.cpp server, Ollama, LiteLLM and proxies in
 * front of them), each off by default: the fake then answers as OpenAI does.
 */
export interface CompatQuirks {
  /** `GET /v1/models` answers 404, as a server without a models list (preflight must still pass). */
  noModelsList?: boolean;
  /**
   * `response_format: {type: "json_schema"}` is refused, as by a server without schema-guided decoding: HTTP
   * 400 (default) naming response_format, or 422 (a validation error). json_object is answered.
   */
  refuseJsonSchema?: boolean | 422;
  /**
   * A request with `tools` is answered with the calls written in the text, one
   * `<tool_call>{"name": ..., "arguments": {...}}</tool_call>` per call and no `tool_calls`, as a server
   * started without a tool-call parser answers (vLLM without --enable-auto-tool-choice, llama.cpp without
   * --jinja).
   */
  toolCallsInText?: boolean;
}

/**
 * A model that follows the answer's schema only when it is sent: with `response_format.type ===
 * "json_schema"` it answers the brain's valid answer; without it, a share of its first answers (never a
 * repair) wraps the answer in another object (`{"answer": {...}}`), the kind of shape error JSON mode allows.
 */
export interface SchemaFollower {
  /** Share of first answers in a wrong shape when no schema is sent (drawn from the request's task). */
  offSchemaRate: number;
  seed?: number;
}

/**
 * Reasoning models as OpenAI serves them (o-series, gpt-5): a request naming one with `max_tokens` or a
 * `temperature` other than 1 is refused (HTTP 400 "Unsupported parameter"), and each answer reports
 * `reasoningTokens` more completion tokens, as `usage.completion_tokens_details.reasoning_tokens` (not in
 * the log's completionTokens, which count the content).
 */
export interface FakeReasoning {
  models: RegExp;
  reasoningTokens?: number;
}

export interface FakeOpenAIOptions extends FakeOptions {
  batch?: FakeBatchOptions;
  compat?: CompatQuirks;
  schemaFollower?: SchemaFollower;
  reasoning?: FakeReasoning;
  /** Reported as `usage.prompt_tokens_details.cached_tokens` of every answer (at most its prompt tokens). */
  cachedTokens?: number;
  /** Automatic prompt caching instead: cached_tokens are the prefix shared with earlier requests (prompt-cache.ts). */
  promptCache?: PromptCacheOptions;
}

export interface FakeOpenAI extends FakeServer {
  batches: FakeBatch[];
  holdBatches(on: boolean): void;
  /**
   * The body of every chat completion request, in arrival order, refused ones included (a refused request
   * is not in `log`): what a test asserts about response_format, max_completion_tokens, temperature.
   */
  bodies: ChatBody[];
  /** With `promptCache`: the cache, and the cached tokens it reported in all (`total`). */
  promptCache?: FakePromptCache;
}

/** A chat completion request body as received. */
export interface ChatBody {
  model?: unknown;
  messages?: unknown;
  response_format?: { type?: unknown; json_schema?: { name?: unknown; schema?: unknown; strict?: unknown } };
  temperature?: unknown;
  max_tokens?: unknown;
  max_completion_tokens?: unknown;
  reasoning_effort?: unknown;
  tools?: unknown;
  [k: string]: unknown;
}

interface FakeFile {
  id: string;
  filename: string;
  purpose: string;
  bytes: Buffer;
  createdAt: number;
}

const now = (): number => Math.floor(Date.now() / 1000);

function batchRoutes(batchOptions: FakeBatchOptions): {
  route: NonNullable<Adapter['route']>;
  batches: FakeBatch[];
  hold: (on: boolean) => void;
} {
  const files = new Map<string, FakeFile>();
  const batches: FakeBatch[] = [];
  let hold = batchOptions.hold ?? false;
  const error = (status: number, message: string): Reply => openaiAdapter.error(status, message, {});
  const addFile = (filename: string, purpose: string, bytes: Buffer): FakeFile => {
    const f = { id: `file-fake${files.size}`, filename, purpose, bytes, createdAt: now() };
    files.set(f.id, f);
    return f;
  };
  const fileObject = (f: FakeFile): Record<string, unknown> => ({
    id: f.id,
    object: 'file',
    bytes: f.bytes.length,
    created_at: f.createdAt,
    filename: f.filename,
    purpose: f.purpose,
    status: 'processed',
    status_details: null,
  });

  /** Each line through the chat endpoint of this server, as a batch item; the output and error files. */
  async function process(
    b: FakeBatch,
    lines: BatchLine[],
    origin: string,
    auth: string | undefined,
  ): Promise<void> {
    const out: string[] = [];
    const errors: string[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < lines.length) {
        const line = lines[next++] as BatchLine;
        let status = 0;
        let body: unknown;
        try {
          const res = await fetch(`${origin}/v1/chat/completions`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              [BATCH_ITEM_HEADER]: b.id,
              ...(auth ? { authorization: auth } : {}),
            },
            body: JSON.stringify(line.body),
            signal: AbortSignal.timeout(30_000),
          });
          status = res.status;
          body = JSON.parse(await res.text()) as unknown;
        } catch (e) {
          errors.push(
            JSON.stringify({
              id: `batch_req_${b.id}_${line.custom_id.slice(0, 8)}`,
              custom_id: line.custom_id,
              response: null,
              error: { code: 'server_error', message: String(e) },
            }),
          );
          continue;
        }
        (status === 200 ? out : errors).push(
          JSON.stringify({
            id: `batch_req_${b.id}_${line.custom_id.slice(0, 8)}`,
            custom_id: line.custom_id,
            response: { status_code: status, request_id: `req_${b.id}_${line.custom_id.slice(0, 8)}`, body },
            error: null,
          }),
        );
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
    const o = b.object;
    if (out.length)
      o.output_file_id = addFile(
        `${b.id}_output.jsonl`,
        'batch_output',
        Buffer.from(out.join('\n') + '\n'),
      ).id;
    if (errors.length)
      o.error_file_id = addFile(
        `${b.id}_error.jsonl`,
        'batch_output',
        Buffer.from(errors.join('\n') + '\n'),
      ).id;
    o.request_counts = { total: lines.length, completed: out.length, failed: errors.length };
    o.completed_at = now();
    o.status = b.status = 'completed';
  }

  interface BatchLine {
    custom_id: string;
    body: unknown;
  }
  const pending = new Map<string, { lines: BatchLine[]; auth: string | undefined }>();

  /** validating → in_progress at the first poll; processed once its time has come and it is not held. */
  function advance(b: FakeBatch, origin: string): void {
    const o = b.object;
    if (b.status === 'validating') {
      const input = files.get(String(o.input_file_id));
      const problems: string[] = [];
      const lines: BatchLine[] = [];
      const ids = new Set<string>();
      const models = new Set<string>();
      for (const [i, text] of (input?.bytes.toString('utf8') ?? '').split('\n').entries()) {
        if (!text.trim()) continue;
        try {
          const l = JSON.parse(text) as {
            custom_id?: unknown;
            method?: unknown;
            url?: unknown;
            body?: { model?: unknown };
          };
          if (typeof l.custom_id !== 'string' || ids.has(l.custom_id))
            problems.push(`line ${i + 1}: custom_id missing or repeated`);
          else if (l.method !== 'POST' || l.url !== o.endpoint)
            problems.push(`line ${i + 1}: method/url must be POST ${String(o.endpoint)}`);
          else {
            ids.add(l.custom_id);
            models.add(String(l.body?.model));
            lines.push({ custom_id: l.custom_id, body: l.body });
          }
        } catch {
          problems.push(`line ${i + 1}: not JSON`);
        }
      }
      if (!input) problems.push('input file not found');
      if (models.size > 1) problems.push('all lines of a batch must use the same model');
      if (problems.length || lines.length === 0) {
        o.status = b.status = 'failed';
        o.failed_at = now();
        o.errors = {
          object: 'list',
          data: (problems.length ? problems : ['empty input file']).map((m) => ({
            code: 'invalid_request',
            message: m,
            line: null,
            param: null,
          })),
        };
        return;
      }
      const entry = pending.get(b.id);
      if (entry) entry.lines = lines;
      o.status = b.status = 'in_progress';
      o.in_progress_at = now();
      o.request_counts = { total: lines.length, completed: 0, failed: 0 };
      b.requests = lines.length;
      return;
    }
    if (
      b.status === 'in_progress' &&
      !hold &&
      Date.now() >= b.createdAt + (batchOptions.completeAfterMs ?? 0)
    ) {
      const entry = pending.get(b.id);
      pending.delete(b.id);
      o.status = b.status = 'finalizing';
      o.finalizing_at = now();
      void process(b, entry?.lines ?? [], origin, entry?.auth);
    }
  }

  const route: NonNullable<Adapter['route']> = async (
    method,
    url,
    headers: http.IncomingHttpHeaders,
    raw,
    origin,
  ) => {
    const p = url.pathname;
    if (method === 'POST' && p === '/v1/files') {
      const form = await new Response(raw, { headers: { 'content-type': String(headers['content-type']) } })
        .formData()
        .catch(() => undefined);
      const file = form?.get('file');
      const purpose = form?.get('purpose');
      if (!form || !file || typeof file === 'string' || typeof purpose !== 'string')
        return error(400, 'fake openai: multipart form with "file" and "purpose" required');
      return {
        status: 200,
        body: fileObject(addFile(file.name, purpose, Buffer.from(await file.arrayBuffer()))),
      };
    }
    const content = /^\/v1\/files\/([^/]+)\/content$/.exec(p);
    if (method === 'GET' && content) {
      const f = files.get(content[1] as string);
      if (!f) return error(404, `fake openai: no file ${content[1]}`);
      return {
        status: 200,
        body: f.bytes.toString('utf8'),
        headers: { 'content-type': 'application/octet-stream' },
      };
    }
    if (method === 'POST' && p === '/v1/batches') {
      let b: { input_file_id?: unknown; endpoint?: unknown; completion_window?: unknown; metadata?: unknown };
      try {
        b = JSON.parse(raw.toString('utf8')) as typeof b;
      } catch {
        return error(400, 'fake openai: body is not JSON');
      }
      const input = files.get(String(b.input_file_id));
      if (!input || input.purpose !== 'batch')
        return error(400, `fake openai: no batch file ${String(b.input_file_id)}`);
      if (b.endpoint !== '/v1/chat/completions')
        return error(400, 'fake openai: endpoint must be /v1/chat/completions');
      if (b.completion_window !== '24h') return error(400, 'fake openai: completion_window must be 24h');
      const id = `batch_fake${batches.length}`;
      const created = now();
      const object: Record<string, unknown> = {
        id,
        object: 'batch',
        endpoint: b.endpoint,
        errors: null,
        input_file_id: input.id,
        completion_window: '24h',
        status: 'validating',
        output_file_id: null,
        error_file_id: null,
        created_at: created,
        in_progress_at: null,
        expires_at: created + 24 * 3600,
        finalizing_at: null,
        completed_at: null,
        failed_at: null,
        expired_at: null,
        cancelling_at: null,
        cancelled_at: null,
        request_counts: { total: 0, completed: 0, failed: 0 },
        metadata: b.metadata ?? null,
      };
      const auth = headers.authorization;
      batches.push({ id, status: 'validating', requests: 0, createdAt: Date.now(), object });
      pending.set(id, { lines: [], auth: typeof auth === 'string' ? auth : undefined });
      return { status: 200, body: { ...object } };
    }
    if (method === 'GET' && p === '/v1/batches') {
      // newest first, as OpenAI lists them
      const limit = Number(url.searchParams.get('limit') ?? 20);
      const data = batches
        .slice()
        .reverse()
        .slice(0, limit)
        .map((x) => ({ ...x.object }));
      return {
        status: 200,
        body: {
          object: 'list',
          data,
          first_id: data[0]?.id ?? null,
          last_id: data[data.length - 1]?.id ?? null,
          has_more: batches.length > limit,
        },
      };
    }
    const one = /^\/v1\/batches\/([^/]+)$/.exec(p);
    if (method === 'GET' && one) {
      const b = batches.find((x) => x.id === one[1]);
      if (!b) return error(404, `fake openai: no batch ${one[1]}`);
      advance(b, origin);
      return { status: 200, body: { ...b.object } };
    }
    return undefined;
  };
  return { route, batches, hold: (on) => (hold = on) };
}

/** A refusal of a chat completion request before it reaches the model (quirks, reasoning models), or none. */
function refusal(body: ChatBody, opts: FakeOpenAIOptions): Reply | undefined {
  const error = (status: number, message: string, param: string): Reply => ({
    status,
    body: { error: { message, type: 'invalid_request_error', param, code: null } },
  });
  const refuse = opts.compat?.refuseJsonSchema;
  if (refuse && body.response_format?.type === 'json_schema') {
    return refuse === 422
      ? error(422, 'fake openai-compatible: unprocessable entity: response_format.type', 'response_format')
      : error(
          400,
          "fake openai-compatible: response_format type 'json_schema' is not supported by this server, use 'json_object'",
          'response_format',
        );
  }
  if (opts.reasoning && typeof body.model === 'string' && opts.reasoning.models.test(body.model)) {
    if (body.max_tokens !== undefined)
      return error(
        400,
        "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
        'max_tokens',
      );
    if (body.temperature !== undefined && body.temperature !== 1)
      return error(
        400,
        "Unsupported value: 'temperature' does not support " +
          `${String(body.temperature)} with this model. Only the default (1) value is supported.`,
        'temperature',
      );
  }
  return undefined;
}

/** The tool calls of an answer written in text, as a server without a tool-call parser returns them. */
function callsAsText(good: unknown): string | undefined {
  const calls = (good as { calls?: unknown } | null)?.calls;
  if (!Array.isArray(calls)) return undefined;
  return calls
    .map(
      (c: { name?: unknown; arguments?: unknown }) =>
        `<tool_call>\n${JSON.stringify({ name: c.name, arguments: c.arguments })}\n</tool_call>`,
    )
    .join('\n');
}

/** The answers of the quirks and the schema follower (after the test's own script), else undefined. */
function quirkScript(opts: FakeOpenAIOptions): Script {
  return (req: ScriptRequest) => {
    const body = req.body as ChatBody;
    if (!req.role || req.input === undefined) return undefined;
    let good: unknown;
    try {
      good = answer(req.role, req.input);
    } catch {
      return undefined; // the server answers the bad task itself (400)
    }
    if (opts.compat?.toolCallsInText && Array.isArray(body.tools) && body.tools.length > 0) {
      const text = callsAsText(good);
      if (text !== undefined) return { content: text };
    }
    const f = opts.schemaFollower;
    // native tool calls are shaped by the tools' schemas as a json_schema answer is by its schema
    const shaped =
      body.response_format?.type === 'json_schema' || (Array.isArray(body.tools) && body.tools.length > 0);
    if (f && !req.repair && !shaped) {
      const draw = createRng(
        deriveSeed(f.seed ?? 0, 'off-schema', hash32(`${req.role}|${JSON.stringify(req.input)}`)),
      ).next();
      if (draw < f.offSchemaRate) return { content: JSON.stringify({ answer: good }) };
    }
    return undefined;
  };
}

export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const b = batchRoutes(options.batch ?? {});
  const bodies: ChatBody[] = [];
  const promptCache = options.promptCache ? new FakePromptCache(options.promptCache) : undefined;
  const route: NonNullable<Adapter['route']> = async (method, url, headers, raw, origin) => {
    if (method === 'POST' && url.pathname === '/v1/chat/completions') {
      let body: ChatBody;
      try {
        body = JSON.parse(raw.toString('utf8')) as ChatBody;
      } catch {
        return undefined; // parse() answers 400
      }
      bodies.push(body);
      return refusal(body, options);
    }
    return b.route(method, url, headers, raw, origin);
  };
  const adapter: Adapter = {
    ...openaiAdapter,
    route,
    ...(options.compat?.noModelsList ? { models: () => undefined } : {}),
    success(content, usage, req, index) {
      const reply = openaiAdapter.success(content, usage, req, index);
      const reasoning =
        options.reasoning?.models.test(req.model) === true ? (options.reasoning.reasoningTokens ?? 64) : 0;
      const texts = ((req.hashBasis as { messages?: ChatMessage[] }).messages ?? []).map((m) =>
        contentText(m.content),
      );
      const cached = Math.min(
        promptCache?.cached(req.model, texts) ?? options.cachedTokens ?? 0,
        usage.prompt,
      );
      if (!reasoning && !cached) return reply;
      const body = reply.body as { usage: Record<string, unknown> };
      const completion = usage.completion + reasoning;
      body.usage = {
        prompt_tokens: usage.prompt,
        completion_tokens: completion,
        total_tokens: usage.prompt + completion,
        prompt_tokens_details: { cached_tokens: cached },
        completion_tokens_details: { reasoning_tokens: reasoning },
      };
      return reply;
    },
  };
  const extra = quirkScript(options);
  let script = options.script;
  const server = await startFakeServer(adapter, {
    ...options,
    script: (req) => script?.(req) ?? extra(req),
  });
  return {
    ...server,
    setScript: (fn) => {
      script = fn;
    },
    batches: b.batches,
    holdBatches: b.hold,
    bodies,
    ...(promptCache ? { promptCache } : {}),
  };
}
