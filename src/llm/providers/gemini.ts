import { createHash } from 'node:crypto';
import type { ApiError, GenerateContentConfig, GenerateContentResponse, GoogleGenAI } from '@google/genai';
import { parseDuration } from '../limiter';
import {
  apiKey,
  classify,
  probe,
  ProviderError,
  type LlmCallRole,
  type Provider,
  type ProviderAnswer,
  type ProviderEndpoint,
  type ProviderRequest,
  type ToolCall,
  unreachable,
} from './provider';
import { schemaToSend, structuredMode } from './structured';

/**
 * Gemini through Google's `@google/genai` SDK: the Gemini API with an API key, or Vertex AI (`vertexai: true`,
 * `project`, `location`) with the Google Cloud credentials the SDK finds in the environment (a service account
 * file named by GOOGLE_APPLICATION_CREDENTIALS, `gcloud auth application-default login`, the metadata server).
 */

export const GEMINI_API_URL = 'https://generativelanguage.googleapis.com';

/** Vertex AI's endpoint for a location, as the SDK picks it when no baseURL is given. */
export function vertexBaseURL(location: string): string {
  if (location === 'global') return 'https://aiplatform.googleapis.com';
  if (location === 'us' || location === 'eu') return `https://aiplatform.${location}.rep.googleapis.com`;
  return `https://${location}-aiplatform.googleapis.com`;
}

interface ClientSettings {
  baseURL?: string;
  vertex?: { project: string; location: string };
  /** Read from the environment (API-key mode only); its hash is part of the cache key (a new key, a new client). */
  key?: string;
  timeoutMs: number;
}

/**
 * Clients are kept per settings: a Vertex client holds the Google credentials and their access token, which
 * a new client would fetch again for every request.
 */
const clients = new Map<string, GoogleGenAI>();

/** The SDK, loaded by the first Gemini request or check: a process without Gemini never pays its load (~0.3 s). */
const loadSdk = () => import('@google/genai');
let sdk: ReturnType<typeof loadSdk> | undefined;
const genai = (): ReturnType<typeof loadSdk> => (sdk ??= loadSdk());

/** An error answer of the API (the SDK's ApiError: an HTTP status, the error body as JSON in the message). */
async function apiError(e: unknown): Promise<ApiError | undefined> {
  return e instanceof (await genai()).ApiError ? e : undefined;
}

async function client(s: ClientSettings): Promise<GoogleGenAI> {
  const key = s.key ? createHash('sha256').update(s.key).digest('hex') : '';
  const id = JSON.stringify([s.baseURL ?? '', s.vertex ?? null, key, s.timeoutMs]);
  let c = clients.get(id);
  if (!c) {
    c = await newClient(s);
    clients.set(id, c);
  }
  return c;
}

async function newClient(s: ClientSettings): Promise<GoogleGenAI> {
  const { GoogleGenAI } = await genai();
  return new GoogleGenAI({
    // always said, so GOOGLE_GENAI_USE_VERTEXAI in the environment cannot switch the backend
    vertexai: s.vertex !== undefined,
    ...(s.vertex ? { project: s.vertex.project, location: s.vertex.location } : { apiKey: s.key }),
    httpOptions: {
      ...(s.baseURL ? { baseUrl: s.baseURL } : {}),
      timeout: s.timeoutMs,
      // Retries belong to Temporal's retry policy, not to the SDK: no `retryOptions`, which is the SDK's one
      // attempt per call (given any retryOptions, even attempts 1, it goes through p-retry).
      // Node's fetch as it is, as the OpenAI SDK uses it: the SDK's own dispatcher (lifting undici's 300 s
      // header and body timeouts, beyond any usual timeoutMs) looks undici's global dispatcher up by a private
      // symbol, which is missing where the global object is not Node's own (Jest's sandbox), failing every
      // request there with "fetch failed".
      fetch: (input, init) => fetch(input, init),
    },
  });
}

function settingsOf(r: Pick<LlmCallRole, 'baseURL' | 'vertex' | 'timeoutMs' | 'providerName' | 'apiKeyEnv'>) {
  return r.vertex
    ? { baseURL: r.baseURL, vertex: r.vertex, timeoutMs: r.timeoutMs }
    : { baseURL: r.baseURL, key: apiKey(r), timeoutMs: r.timeoutMs };
}

/** The JSON Schema as Gemini's responseJsonSchema takes it: without `$schema`, which the endpoint refuses. */
function responseJsonSchema(schema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = schema;
  return rest;
}

/**
 * The request's generation settings. Answers are JSON (`responseMimeType`), constrained to the role's answer
 * schema (`responseJsonSchema`) when one is given, as the provider's `structuredOutputs` says: `json_schema`
 * both, `json_object` the MIME type only, `none` neither (absent, in inputs of earlier releases: json_object).
 * A thinking budget (`llm.models.<model>.thinkingBudget`) goes into thinkingConfig; Gemini counts thinking in
 * `maxOutputTokens`.
 */
export function generationConfig(
  r: Pick<LlmCallRole, 'temperature' | 'maxTokens' | 'structuredOutputs' | 'thinkingBudget'>,
  { answerSchema, tools }: Pick<ProviderRequest, 'answerSchema' | 'tools'>,
): GenerateContentConfig {
  const sent = tools ? undefined : schemaToSend(r, answerSchema);
  return {
    // tools mode: function declarations (JSON Schema parameters), and no JSON MIME type, which Gemini refuses
    // beside function calling; the answer is functionCall parts (and text)
    ...(tools?.length
      ? {
          tools: [
            {
              functionDeclarations: tools.map((t) => ({
                name: t.name,
                description: t.description,
                parametersJsonSchema: t.parameters,
              })),
            },
          ],
        }
      : !tools && structuredMode(r) !== 'none'
        ? { responseMimeType: 'application/json' }
        : {}),
    ...(sent ? { responseJsonSchema: responseJsonSchema(sent.schema) } : {}),
    ...(r.temperature !== undefined ? { temperature: r.temperature } : {}),
    ...(r.maxTokens !== undefined ? { maxOutputTokens: r.maxTokens } : {}),
    ...(r.thinkingBudget !== undefined ? { thinkingConfig: { thinkingBudget: r.thinkingBudget } } : {}),
  };
}

/** The answer's text: the first candidate's text parts, without thoughts (the SDK's `text` warns on others). */
function answerText(res: GenerateContentResponse): string {
  return (res.candidates?.[0]?.content?.parts ?? [])
    .filter((p) => typeof p.text === 'string' && !p.thought)
    .map((p) => p.text)
    .join('');
}

/** The answer's function calls: the first candidate's functionCall parts, in order. */
function answerCalls(res: GenerateContentResponse): ToolCall[] {
  return (res.candidates?.[0]?.content?.parts ?? []).flatMap((p) =>
    p.functionCall?.name ? [{ name: p.functionCall.name, arguments: p.functionCall.args ?? {} }] : [],
  );
}

/** What a Gemini error body says: its message and the retry delay of a google.rpc.RetryInfo detail. */
export function errorBody(message: string): { message?: string; retryAfterMs?: number } {
  let body: unknown;
  try {
    body = JSON.parse(message);
  } catch {
    return {};
  }
  const error = (body as { error?: { message?: unknown; details?: unknown } } | null)?.error;
  const details = Array.isArray(error?.details) ? (error.details as Record<string, unknown>[]) : [];
  const info = details.find((d) => String(d?.['@type'] ?? '').endsWith('RetryInfo'));
  return {
    ...(typeof error?.message === 'string' ? { message: error.message } : {}),
    ...(typeof info?.retryDelay === 'string' ? { retryAfterMs: parseDuration(info.retryDelay) } : {}),
  };
}

/**
 * Whether `e` or an error in its causes has this name (by name: errors of fetch may come from another realm,
 * and the SDK wraps what is not an Error of its own in one with a cause).
 */
function named(e: unknown, name: string): boolean {
  for (let err = e as { name?: unknown; cause?: unknown } | undefined, depth = 0; err && depth < 5; depth++) {
    if (err.name === name) return true;
    err = err.cause as typeof err;
  }
  return false;
}

/**
 * Answer schemas Gemini refused in this process, by provider, address and schema: their requests ask for JSON
 * only from then on. Kept for the process (a worker started later tries again), written nowhere.
 */
const schemaRefused = new Set<string>();
const refusalKey = (r: LlmCallRole, schemaName: string): string =>
  JSON.stringify([r.providerName, r.baseURL ?? '', r.vertex ?? null, schemaName]);

/** Forgets the refused schemas (tests). */
export function resetGeminiSchemaRefusals(): void {
  schemaRefused.clear();
}

/** A 400 about the response schema: a keyword or shape the endpoint does not take (or an API without the field). */
function refusesSchema(e: ApiError): boolean {
  return e.status === 400 && /response_?json_?schema|response_?schema/i.test(e.message);
}

async function generate(r: LlmCallRole, req: ProviderRequest, config: GenerateContentConfig) {
  const system = req.messages
    .filter((m) => m.role === 'system')
    .map((m) => m.content)
    .join('\n\n');
  const contents = req.messages
    .filter((m) => m.role !== 'system')
    .map((m) => ({ role: m.role === 'assistant' ? 'model' : 'user', parts: [{ text: m.content }] }));
  return (await client(settingsOf(r))).models.generateContent({
    model: r.model,
    contents,
    config: {
      ...(system ? { systemInstruction: system } : {}),
      ...config,
      ...(req.signal ? { abortSignal: req.signal } : {}),
    },
  });
}

async function callGemini(r: LlmCallRole, req: ProviderRequest): Promise<ProviderAnswer> {
  const schema = schemaToSend(r, req.answerSchema);
  const refused = schema !== undefined && schemaRefused.has(refusalKey(r, schema.name));
  try {
    let res: GenerateContentResponse;
    try {
      res = await generate(r, req, generationConfig(r, refused ? {} : req));
    } catch (err) {
      const e = await apiError(err);
      if (!schema || refused || !e || !refusesSchema(e)) throw err;
      // The same request at once with JSON mode only, inside this call: the step does not fail, and a refused
      // request has no usage, so nothing is paid twice. Remembered for this schema once JSON mode answered.
      res = await generate(r, req, generationConfig(r, {}));
      schemaRefused.add(refusalKey(r, schema.name));
      console.warn(
        `magnet: provider ${r.providerName} refused the answer schema of ${schema.name} as responseJsonSchema (HTTP 400: ${(errorBody(e.message).message ?? e.message).slice(0, 160)}); its ${schema.name} requests ask for JSON only from now on (llm.providers.${r.providerName}.structuredOutputs "json_object" skips the attempt)`,
      );
    }
    const usage = res.usageMetadata;
    // Gemini counts thoughts apart from the answer's tokens; they are billed as output.
    const reasoning = usage?.thoughtsTokenCount ?? 0;
    return {
      text: answerText(res),
      ...(req.tools ? { toolCalls: answerCalls(res) } : {}),
      inputTokens: usage?.promptTokenCount ?? 0,
      outputTokens: (usage?.candidatesTokenCount ?? 0) + reasoning,
      ...(usage?.cachedContentTokenCount ? { cachedInputTokens: usage.cachedContentTokenCount } : {}),
      ...(reasoning ? { reasoningTokens: reasoning } : {}),
      // the SDK keeps no rate-limit headers; a 429's delay comes as RetryInfo in its body (below)
      headers: {},
    };
  } catch (e) {
    if (e instanceof ProviderError) throw e;
    const answered = await apiError(e);
    if (answered) {
      const body = errorBody(answered.message);
      throw classify(
        answered.status,
        `${r.providerName} ${answered.status} error: ${body.message ?? answered.message}`,
        body.retryAfterMs,
      );
    }
    const msg = (e as Error).message ?? String(e);
    // the SDK's own timeout aborts the fetch: an AbortError that is no cancellation (callProvider tells those)
    if (named(e, 'AbortError'))
      throw classify(undefined, `${r.providerName}: no answer within ${r.timeoutMs} ms`);
    // a connection that failed is worth another try; a 200 whose body is cut or not JSON (the SDK's
    // SyntaxError) is classified for every provider by the caller (llm/faults.ts)
    if (/abort|timeout|fetch failed|ECONN|socket/i.test(msg))
      throw classify(undefined, `${r.providerName}: ${msg}`);
    throw e;
  }
}

const ADC =
  'set GOOGLE_APPLICATION_CREDENTIALS to a service account key file, or run gcloud auth application-default login';

/**
 * Vertex AI: the publisher models list through the SDK, so the credentials are found and taken (no API key);
 * the credentials' lookup counts in the time limit.
 */
async function preflightVertex(p: ProviderEndpoint, timeoutMs: number): Promise<string | undefined> {
  const vertex = p.vertex as NonNullable<ProviderEndpoint['vertex']>;
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => {
      abort.abort();
      resolve('timeout');
    }, timeoutMs);
  });
  // a client of its own: the credentials as the environment has them now, none kept from earlier
  const list = newClient({ baseURL: p.baseURL, vertex, timeoutMs })
    .then((c) => c.models.list({ config: { pageSize: 1, abortSignal: abort.signal } }))
    .then(() => undefined);
  try {
    const done = await Promise.race([list, timeout]);
    if (done === 'timeout')
      return `no answer within ${timeoutMs / 1000} s — check llm.providers.${p.providerName}.baseURL and location, the network and the Google Cloud credentials (${ADC})`;
    return undefined;
  } catch (e) {
    const answered = await apiError(e);
    if (answered) {
      if (answered.status === 401 || answered.status === 403)
        return `the Google Cloud credentials were refused (HTTP ${answered.status}) — check them (${ADC}) and llm.providers.${p.providerName}.project (${vertex.project})`;
      return undefined; // any other answer: the endpoint is there
    }
    const msg = (e as Error).message ?? String(e);
    // no HTTP answer: the request failed on its way
    if (/fetch failed/.test(msg) || named(e, 'AbortError')) return unreachable(p, p.baseURL, e, timeoutMs);
    // else it never left: google-auth-library found no usable credentials
    return `no Google Cloud credentials: ${msg.split('\n')[0]} — ${ADC}`;
  } finally {
    clearTimeout(timer);
    list.catch(() => undefined);
  }
}

export const gemini: Provider = {
  defaultBaseURL: GEMINI_API_URL,
  call: callGemini,
  preflight: (p, timeoutMs) =>
    p.vertex
      ? preflightVertex(p, timeoutMs)
      : // the SDK puts the API version after the base URL
        probe(
          p,
          `${p.baseURL.replace(/\/+$/, '')}/v1beta/models`,
          { 'x-goog-api-key': apiKey(p) },
          timeoutMs,
        ),
};
