import { generateKeyPairSync } from 'node:crypto';
import type http from 'node:http';
import {
  BadRequest,
  startFakeServer,
  type Adapter,
  type FakeOptions,
  type FakeServer,
  type ParsedRequest,
} from './common';
import { asToolCalls } from './brain';

/**
 * A fake Gemini API as `@google/genai` calls it (`new GoogleGenAI({ apiKey, httpOptions: { baseUrl: server.url } })`):
 * - Gemini API: `POST /v1beta/models/{model}:generateContent`, `GET /v1beta/models`; the key in `x-goog-api-key`
 *   (or `?key=`).
 * - Vertex AI (`vertexai: true, project, location`):
 *   `POST /v1beta1/projects/{project}/locations/{location}/publishers/google/models/{model}:generateContent`,
 *   `GET /v1beta1/publishers/google/models`; a bearer token in `authorization` (with `vertexCredentials` in
 *   GOOGLE_APPLICATION_CREDENTIALS, a JWT google-auth-library signs itself, offline).
 *
 * The body is checked as the real API checks it: `contents` (role user/model, text parts), `systemInstruction`
 * (a Content), `generationConfig` with known fields only (responseMimeType, responseJsonSchema, temperature,
 * maxOutputTokens, thinkingConfig...), unknown top-level fields refused with 400. Answers are
 * `candidates[0].content.parts[0].text` and `usageMetadata` (cachedContentTokenCount and thoughtsTokenCount
 * when the options ask for them). Every request to a model route is kept in `requests` (path, body, which
 * credential it carried: never the key).
 */

interface Content {
  role?: string;
  parts?: { text?: unknown; thought?: unknown }[];
}

function partsText(c: Content | undefined): string {
  return (c?.parts ?? []).map((p) => (typeof p?.text === 'string' ? p.text : '')).join('');
}

const STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

/** The request fields the API takes (others: 400 "Unknown name"), as far as a text request goes. */
const REQUEST_FIELDS = new Set([
  'contents',
  'systemInstruction',
  'generationConfig',
  'safetySettings',
  'tools',
  'toolConfig',
  'cachedContent',
  'labels',
]);
const GENERATION_FIELDS = new Set([
  'candidateCount',
  'stopSequences',
  'maxOutputTokens',
  'temperature',
  'topP',
  'topK',
  'seed',
  'presencePenalty',
  'frequencyPenalty',
  'responseMimeType',
  'responseSchema',
  'responseJsonSchema',
  'thinkingConfig',
]);

const GEMINI_ROUTE = /^\/(v1beta|v1)\/((?:models|tunedModels)\/[^/:]+):generateContent$/;
const VERTEX_ROUTE =
  /^\/(v1beta1|v1)\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/google\/models\/([^/:]+):generateContent$/;

/** A request to a model route as it arrived. */
export interface GeminiRequest {
  method: string;
  /** The URL's path (no query). */
  path: string;
  /** The credential it carried: an API key (x-goog-api-key or ?key=), a bearer token, or none. */
  auth: 'api-key' | 'bearer' | 'none';
  /** The JSON body as sent (undefined for a GET). */
  body: unknown;
  /** Vertex AI routes: the project and location of the path. */
  vertex?: { project: string; location: string };
  /** The claims of a bearer JWT (Vertex AI with `vertexCredentials`). */
  bearer?: Record<string, unknown>;
  model: string;
}

export interface FakeGeminiOptions extends FakeOptions {
  /** Of each answer's prompt tokens, how many are reported as cached (cachedContentTokenCount). */
  cachedTokens?: (promptTokens: number) => number;
  /** Thinking tokens reported per answer (thoughtsTokenCount, apart from candidatesTokenCount). */
  thoughtsTokens?: number;
  /** A thought part sent before the answer's text part (`thought: true`), as a thinking model may. */
  thoughtText?: string;
  /** Refuse a request with a responseJsonSchema (400 naming the field), as an endpoint without it does. */
  refuseJsonSchema?: boolean;
}

export interface FakeGemini extends FakeServer {
  /** Every generateContent request, in arrival order (whatever it was answered). */
  requests: GeminiRequest[];
}

function authOf(headers: http.IncomingHttpHeaders, url: URL): GeminiRequest['auth'] {
  if (headers['x-goog-api-key'] || url.searchParams.get('key')) return 'api-key';
  return typeof headers.authorization === 'string' && /^Bearer\s/i.test(headers.authorization)
    ? 'bearer'
    : 'none';
}

function checkBody(b: Record<string, unknown>, options: FakeGeminiOptions): Content[] {
  for (const k of Object.keys(b))
    if (!REQUEST_FIELDS.has(k)) throw new BadRequest(`Invalid JSON payload received. Unknown name "${k}"`);
  if (!Array.isArray(b.contents) || b.contents.length === 0)
    throw new BadRequest('"contents" must be a non-empty array');
  const contents = b.contents as Content[];
  for (const c of contents) {
    if (c.role !== undefined && c.role !== 'user' && c.role !== 'model')
      throw new BadRequest(`Please use a valid role: user, model (got "${String(c.role)}")`);
    if (!Array.isArray(c.parts) || c.parts.length === 0)
      throw new BadRequest('contents.parts must not be empty');
  }
  if (b.systemInstruction !== undefined && !Array.isArray((b.systemInstruction as Content)?.parts))
    throw new BadRequest('systemInstruction must be a Content ({parts: [...]})');
  checkTools(b.tools);
  const g = b.generationConfig;
  if (g !== undefined) {
    if (!g || typeof g !== 'object') throw new BadRequest('generationConfig must be an object');
    for (const k of Object.keys(g))
      if (!GENERATION_FIELDS.has(k))
        throw new BadRequest(`Invalid JSON payload received. Unknown name "${k}" at 'generation_config'`);
    const cfg = g as Record<string, unknown>;
    if (options.refuseJsonSchema && cfg.responseJsonSchema !== undefined)
      throw new BadRequest(
        `Invalid JSON payload received. Unknown name "responseJsonSchema" at 'generation_config': Cannot find field.`,
      );
    if (cfg.responseJsonSchema !== undefined && cfg.responseSchema !== undefined)
      throw new BadRequest('responseSchema and responseJsonSchema cannot both be set');
    if (
      cfg.responseJsonSchema !== undefined &&
      (typeof cfg.responseJsonSchema !== 'object' || cfg.responseJsonSchema === null)
    )
      throw new BadRequest('responseJsonSchema must be a JSON Schema object');
    if (
      (cfg.responseJsonSchema ?? cfg.responseSchema) !== undefined &&
      cfg.responseMimeType !== 'application/json'
    )
      throw new BadRequest('a response schema needs responseMimeType application/json');
    if (b.tools !== undefined && cfg.responseMimeType === 'application/json')
      throw new BadRequest("Function calling with a response mime type: 'application/json' is unsupported");
  }
  return contents;
}

/** The function declarations of `tools`, checked as the API does: names it takes, JSON Schema parameters. */
function checkTools(tools: unknown): void {
  if (tools === undefined) return;
  if (!Array.isArray(tools)) throw new BadRequest('tools must be an array of Tool');
  for (const t of tools as { functionDeclarations?: unknown }[])
    for (const d of (t?.functionDeclarations ?? []) as { name?: unknown; parametersJsonSchema?: unknown }[]) {
      if (typeof d?.name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/.test(d.name))
        throw new BadRequest(
          `* GenerateContentRequest.tools[0].function_declarations.name: Invalid function name. Must start with a letter or an underscore. Must be a-z, A-Z, 0-9, or contain underscores, dots, colons and dashes, with a maximum length of 64.`,
        );
      if (d.parametersJsonSchema !== undefined && typeof d.parametersJsonSchema !== 'object')
        throw new BadRequest('function_declarations.parameters_json_schema must be a JSON Schema object');
    }
}

function geminiAdapter(options: FakeGeminiOptions, requests: GeminiRequest[]): Adapter {
  return {
    name: 'gemini',
    key(headers, url) {
      const header = headers['x-goog-api-key'];
      if (typeof header === 'string' && header) return header;
      const query = url.searchParams.get('key');
      if (query) return query;
      const bearer = /^Bearer\s+(.+)$/i.exec(
        typeof headers.authorization === 'string' ? headers.authorization : '',
      );
      return bearer?.[1];
    },
    models(method, url) {
      if (method !== 'GET') return undefined;
      if (/^\/(v1beta|v1)\/models$/.test(url.pathname))
        return { status: 200, body: { models: [{ name: 'models/fake-model', displayName: 'fake' }] } };
      if (/^\/(v1beta1|v1)\/publishers\/google\/models$/.test(url.pathname))
        return { status: 200, body: { publisherModels: [{ name: 'publishers/google/models/fake-model' }] } };
      return undefined;
    },
    parse(method, url, headers, body): ParsedRequest | undefined {
      const g = GEMINI_ROUTE.exec(url.pathname);
      const v = VERTEX_ROUTE.exec(url.pathname);
      if (method !== 'POST' || (!g && !v)) return undefined;
      const model = g ? (g[2] as string).replace(/^(models|tunedModels)\//, '') : (v?.[4] as string);
      requests.push({
        method,
        path: url.pathname,
        auth: authOf(headers, url),
        body,
        model,
        ...(v ? { vertex: { project: v[2] as string, location: v[3] as string } } : {}),
        ...(bearerClaims(headers) ? { bearer: bearerClaims(headers) } : {}),
      });
      const b = (body ?? {}) as Record<string, unknown>;
      const contents = checkBody(b, options);
      const sys = partsText(b.systemInstruction as Content | undefined);
      const texts = contents.map(partsText);
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
          ...(b.tools !== undefined ? { tools: b.tools } : {}),
        },
        apiKey: this.key(headers, url),
      };
    },
    success(content, usage, req, index) {
      const cached = options.cachedTokens?.(usage.prompt) ?? 0;
      const thoughts = options.thoughtsTokens ?? 0;
      // a request that declared functions is answered with functionCall parts (the brain's calls)
      const declared = (req.hashBasis as { tools?: unknown[] }).tools;
      const calls = declared?.length ? asToolCalls(content) : undefined;
      const answer = calls
        ? [
            ...(calls.text ? [{ text: calls.text }] : []),
            ...calls.calls.map((c) => ({ functionCall: { name: c.name, args: c.arguments ?? {} } })),
          ]
        : [{ text: content }];
      if (answer.length === 0) answer.push({ text: '' });
      const parts = [
        ...(options.thoughtText !== undefined ? [{ text: options.thoughtText, thought: true }] : []),
        ...answer,
      ];
      return {
        status: 200,
        body: {
          candidates: [{ content: { role: 'model', parts }, finishReason: 'STOP', index: 0 }],
          usageMetadata: {
            promptTokenCount: usage.prompt,
            candidatesTokenCount: usage.completion,
            ...(cached > 0 ? { cachedContentTokenCount: cached } : {}),
            ...(thoughts > 0 ? { thoughtsTokenCount: thoughts } : {}),
            totalTokenCount: usage.prompt + usage.completion + thoughts,
          },
          modelVersion: req.model,
          responseId: `fake-response-${index}`,
        },
      };
    },
    error(status, message, { retryAfterSeconds }) {
      const error: Record<string, unknown> = { code: status, message, status: STATUS[status] ?? 'UNKNOWN' };
      // Like the real API: the retry delay of a 429 is a google.rpc.RetryInfo detail of the error body.
      if (status === 429 && retryAfterSeconds !== undefined)
        error.details = [
          { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${retryAfterSeconds}s` },
        ];
      return { status, body: { error } };
    },
  };
}

export async function startFakeGemini(options: FakeGeminiOptions = {}): Promise<FakeGemini> {
  const requests: GeminiRequest[] = [];
  const server = await startFakeServer(geminiAdapter(options, requests), options);
  return Object.assign(server, { requests });
}

/**
 * A service account key (GOOGLE_APPLICATION_CREDENTIALS) that google-auth-library turns into a bearer token
 * offline: in a universe other than googleapis.com it signs a JWT itself instead of asking Google's token
 * endpoint, so the SDK's Vertex AI requests carry `authorization: Bearer <JWT of client_email>`. The JSON to
 * write to a file; the key pair is made for it.
 */
export function vertexCredentials(project: string): Record<string, unknown> & { client_email: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    type: 'service_account',
    project_id: project,
    private_key_id: 'fake-key-1',
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    client_email: `magnet-test@${project}.iam.gserviceaccount.com`,
    client_id: '1234567890',
    universe_domain: 'fake-universe.magnet.test',
  };
}

/** The claims of a bearer token that is a JWT (a fake's, never a real credential), else undefined. */
function bearerClaims(headers: http.IncomingHttpHeaders): Record<string, unknown> | undefined {
  const token = /^Bearer\s+(.+)$/i.exec(
    typeof headers.authorization === 'string' ? headers.authorization : '',
  )?.[1];
  const payload = token?.split('.')[1];
  if (!payload) return undefined;
  try {
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
