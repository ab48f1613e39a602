import OpenAI from 'openai';
import {
  apiKey,
  classify,
  probe,
  type AnswerSchema,
  type LlmCallRole,
  type Provider,
  type ProviderAnswer,
  type ProviderRequest,
  type ToolCall,
  type ToolSpec,
} from './provider';
import { parseArguments } from '../tools';
import { fitsStrictSubset, schemaToSend, structuredMode } from './structured';

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

/** The parts of a role a chat completion request is made of. */
export type ChatRole = Pick<
  LlmCallRole,
  | 'providerName'
  | 'baseURL'
  | 'model'
  | 'temperature'
  | 'maxTokens'
  | 'maxTokensParam'
  | 'reasoningEffort'
  | 'structuredOutputs'
>;

/**
 * Providers (name and address) that refused a json_schema response format in this process: their requests
 * ask for json_object from then on. Remembered for the process, not written anywhere: a worker started
 * after the server was upgraded tries again.
 */
const schemaRefused = new Set<string>();
const endpointOf = (r: Pick<ChatRole, 'providerName' | 'baseURL'>): string =>
  `${r.providerName}|${r.baseURL ?? ''}`;

/** Forgets the providers that refused json_schema (tests). */
export function resetSchemaRefusals(): void {
  schemaRefused.clear();
}

/** The response format a request asks for: the role's mode, json_object once its provider refused schemas. */
function formatOf(r: ChatRole, answerSchema: AnswerSchema | undefined): ChatFormat {
  const mode = structuredMode(r);
  if (mode === 'none') return 'none';
  if (mode === 'json_schema' && answerSchema && !schemaRefused.has(endpointOf(r))) return 'json_schema';
  return 'json_object';
}
type ChatFormat = 'json_schema' | 'json_object' | 'none';

/** A name OpenAI takes for a json_schema: letters, digits, _ and -, at most 64. */
function schemaName(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64) || 'answer';
}

function responseFormat(
  format: ChatFormat,
  answerSchema: AnswerSchema | undefined,
): Pick<OpenAI.ChatCompletionCreateParamsNonStreaming, 'response_format'> {
  if (format === 'none') return {};
  if (format === 'json_object' || !answerSchema) return { response_format: { type: 'json_object' } };
  return {
    response_format: {
      type: 'json_schema',
      json_schema: {
        name: schemaName(answerSchema.name),
        schema: answerSchema.schema,
        strict: fitsStrictSubset(answerSchema.schema),
      },
    },
  };
}

/**
 * The chat completion request of a role (also the body of its line in a batch file): the answer's schema
 * as the role's structured-outputs mode asks (json_schema, strict where the schema fits OpenAI's strict
 * subset; json_object; nothing), the output limit under the name the model takes (max_completion_tokens for
 * reasoning models), a temperature only for models that take one, the reasoning effort when set.
 */
export function chatBody(
  r: ChatRole,
  req: Pick<ProviderRequest, 'messages' | 'answerSchema' | 'tools'>,
  format: ChatFormat = formatOf(r, schemaToSend(r, req.answerSchema)),
): OpenAI.ChatCompletionCreateParamsNonStreaming {
  const answerSchema = schemaToSend(r, req.answerSchema);
  return {
    model: r.model,
    messages: req.messages,
    // tools mode: the answer is tool calls (and text), so no response format
    // (a turn with no function sends none: the API takes no empty list, and the answer is text)
    ...(req.tools
      ? req.tools.length > 0
        ? { tools: req.tools.map(toolOf) }
        : {}
      : responseFormat(format, answerSchema)),
    ...(r.temperature !== undefined ? { temperature: r.temperature } : {}),
    ...(r.maxTokens !== undefined ? { [r.maxTokensParam ?? 'max_tokens']: r.maxTokens } : {}),
    ...(r.reasoningEffort !== undefined ? { reasoning_effort: r.reasoningEffort } : {}),
  };
}

/** A tool as Chat Completions takes it (`strict` off: a pool's schemas need not fit the strict subset). */
function toolOf(t: ToolSpec): OpenAI.ChatCompletionTool {
  return {
    type: 'function',
    function: { name: t.name, description: t.description, parameters: t.parameters },
  };
}

/** The function calls of an answer's `tool_calls`, in order (other kinds of tool call are not ours). */
function toolCallsOf(message: OpenAI.ChatCompletionMessage | undefined): ToolCall[] {
  return (message?.tool_calls ?? []).flatMap((c) =>
    c.type === 'function' ? [{ name: c.function.name, arguments: parseArguments(c.function.arguments) }] : [],
  );
}

/**
 * Whether an error answers a json_schema response format the server does not take: a 400 that names
 * response_format, json_schema, a schema or a grammar (vLLM, llama.cpp, LiteLLM and older servers word it
 * so), or a 422. The fallback is remembered only when json_object is then answered, so a 400 that matched
 * for another reason costs one refused request and changes nothing.
 */
function refusesSchema(e: InstanceType<typeof OpenAI.APIError>): boolean {
  return (
    e.status === 422 || (e.status === 400 && /response_format|json_schema|schema|grammar/i.test(e.message))
  );
}

async function create(
  r: ChatRole,
  body: OpenAI.ChatCompletionCreateParamsNonStreaming,
  signal?: AbortSignal,
) {
  return client(r as LlmCallRole)
    .chat.completions.create(body, { signal })
    .withResponse();
}

async function callOpenAI(r: LlmCallRole, req: ProviderRequest): Promise<ProviderAnswer> {
  const answerSchema = schemaToSend(r, req.answerSchema);
  // a tools-mode request sends no response format: nothing to refuse or fall back from
  const format = req.tools ? 'none' : formatOf(r, answerSchema);
  try {
    let sent;
    try {
      sent = await create(r, chatBody(r, req, format), req.signal);
    } catch (e) {
      if (format !== 'json_schema' || !(e instanceof OpenAI.APIError) || !refusesSchema(e)) throw e;
      // The same request at once with json_object, inside this call: the step does not fail, and a refusal
      // has no usage, so nothing is paid twice. Remembered once the server took json_object.
      sent = await create(r, chatBody(r, req, 'json_object'), req.signal);
      const key = endpointOf(r);
      if (!schemaRefused.has(key)) {
        schemaRefused.add(key);
        console.warn(
          `magnet: provider ${r.providerName} (${r.baseURL ?? openai.defaultBaseURL}) refused response_format json_schema (HTTP ${e.status}: ${e.message.slice(0, 160)}); its requests ask for json_object from now on (set llm.providers.${r.providerName}.structuredOutputs to "json_object" to skip the attempt)`,
        );
      }
    }
    const { data, response } = sent;
    const headers: Record<string, string> = {};
    response.headers.forEach((v, k) => {
      if (k.startsWith('x-ratelimit-')) headers[k] = v;
    });
    const usage = data.usage;
    const cached = usage?.prompt_tokens_details?.cached_tokens;
    const reasoning = usage?.completion_tokens_details?.reasoning_tokens;
    const message = data.choices[0]?.message;
    return {
      text: message?.content ?? '',
      ...(req.tools ? { toolCalls: toolCallsOf(message) } : {}),
      inputTokens: usage?.prompt_tokens ?? 0,
      // reasoning tokens are part of completion_tokens already
      outputTokens: usage?.completion_tokens ?? 0,
      ...(cached ? { cachedInputTokens: cached } : {}),
      ...(reasoning ? { reasoningTokens: reasoning } : {}),
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
