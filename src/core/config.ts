import { z } from 'zod';
import { DEFAULT_SPLIT, EXPORT_FORMATS } from './export-formats';
import { QualityConfig } from './quality';
import { GraphConfig } from './graph';
import { MixConfig, PAPER_MIX } from './mix';
import { OpsConfig } from './ops';
import { ToolSource } from './pool';
import { PoolEntry } from './pool-sources';

export const LLM_ROLES = [
  'dependency_judge',
  'nested_judge',
  'back_translate',
  'forth_translate',
  'simulate',
  'teacher',
  'student',
  'error_judge',
  'negative_teacher',
  'quality_judge',
] as const;
export const LlmRole = z.enum(LLM_ROLES);
export type LlmRole = z.infer<typeof LlmRole>;

/** How a provider is asked for JSON answers (ProviderConfig.structuredOutputs). */
export const STRUCTURED_OUTPUTS = ['json_schema', 'json_object', 'none'] as const;
export type StructuredOutputs = (typeof STRUCTURED_OUTPUTS)[number];

/** The default of `structuredOutputs` per provider kind: both kinds take answer schemas. */
const STRUCTURED_OUTPUTS_BY_KIND: Record<'openai' | 'gemini', StructuredOutputs> = {
  openai: 'json_schema',
  gemini: 'json_schema',
};

export function structuredOutputsOf(p: {
  kind: 'openai' | 'gemini';
  structuredOutputs?: StructuredOutputs;
}): StructuredOutputs {
  return p.structuredOutputs ?? STRUCTURED_OUTPUTS_BY_KIND[p.kind];
}

/** An LLM provider. The API key is named by environment variable, never written in a config. */
export const ProviderConfig = z
  .object({
    kind: z.enum(['openai', 'gemini']),
    /** Any OpenAI-compatible server (vLLM, Ollama, llama.cpp, LiteLLM, OpenRouter) or a Gemini endpoint. */
    baseURL: z.string().url().optional(),
    /** Required, except on Vertex AI (Google Cloud credentials from the environment instead). */
    apiKeyEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'the NAME of an environment variable, not a key')
      .optional(),
    /**
     * Gemini on Vertex AI (kind gemini): `project` and `location` are required, the credentials are the
     * environment's (GOOGLE_APPLICATION_CREDENTIALS, `gcloud auth application-default login`), no API key.
     */
    vertexai: z.boolean().optional(),
    /** The Google Cloud project id (Vertex AI). */
    project: z.string().min(1).optional(),
    /** The Vertex AI region (us-central1, europe-west4...) or `global`. */
    location: z.string().min(1).optional(),
    /**
     * Requests per second for all workers together: each worker process paces its requests at its share
     * (llm/limiter.ts); absent, requests are unlimited until a 429, then adapt (AIMD).
     */
    requestsPerSecond: z.number().positive().max(10_000).optional(),
    /** Tokens per minute (prompt + completion) for all workers together; the provider's headers refine it. */
    tokensPerMinute: z.number().int().positive().optional(),
    timeoutMs: z.number().int().positive().default(120_000),
    /**
     * How long one step keeps retrying transient errors (429, 5xx, timeouts, resets) before it fails and waits
     * for `magnet retry`: a provider having a bad hour slows a run down instead of failing it.
     */
    retryHours: z.number().positive().max(720).default(6),
    /**
     * The longest pause between two attempts of a failing request (the back-off doubles from 1 s up to it;
     * default 120): a self-hosted server that restarts in seconds is asked again sooner. A 429's Retry-After
     * still sets its own pause.
     */
    retryMaxSeconds: z.number().int().min(1).max(3600).optional(),
    /**
     * How answers are constrained: `json_schema` sends each role's answer schema (OpenAI Structured Outputs,
     * Gemini response schemas, vLLM / llama.cpp / Ollama schema-guided decoding), `json_object` asks for any
     * JSON object (JSON mode), `none` sends no response format (a server that takes neither). Default by
     * kind (structuredOutputsOf). An OpenAI-compatible server that refuses json_schema gets json_object from
     * then on, once per process, said in the log.
     */
    structuredOutputs: z.enum(STRUCTURED_OUTPUTS).optional(),
    /** How requests of roles in batch mode are grouped into batch files (OpenAI Batch API). */
    batch: z
      .object({
        /**
         * Requests per batch file at most. OpenAI takes 50,000, but a batch's keys travel in the batcher's
         * workflow payloads (2 MB each at most), so a few thousand.
         */
        maxRequests: z.number().int().positive().max(5000).optional(),
        /** How long the first pending request waits for others before its batch is submitted. */
        collectSeconds: z.number().positive().max(86_400).optional(),
        /** How often a submitted batch's status is asked for. */
        pollSeconds: z.number().positive().max(86_400).optional(),
        /** Batches an item may be sent in (failed, expired) before its step fails for good. */
        maxAttempts: z.number().int().positive().max(20).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    const issue = (field: string, message: string): void => {
      ctx.addIssue({ code: 'custom', path: [field], message });
    };
    if (p.vertexai) {
      if (p.kind !== 'gemini') issue('vertexai', 'Vertex AI is for providers of kind gemini');
      if (!p.project) issue('project', 'Vertex AI (vertexai: true) needs the Google Cloud project id');
      if (!p.location)
        issue('location', 'Vertex AI (vertexai: true) needs a location (us-central1, global...)');
      if (p.apiKeyEnv)
        issue(
          'apiKeyEnv',
          'Vertex AI takes the Google Cloud credentials of the environment (GOOGLE_APPLICATION_CREDENTIALS or gcloud auth application-default login), not an API key: drop apiKeyEnv',
        );
      return;
    }
    if (!p.apiKeyEnv)
      issue('apiKeyEnv', 'required: the NAME of the environment variable holding the API key');
    for (const f of ['project', 'location'] as const)
      if (p[f] !== undefined) issue(f, `${f} is for Vertex AI: add vertexai: true (kind gemini)`);
  });
export type ProviderConfig = z.infer<typeof ProviderConfig>;

/** How much a reasoning model thinks before it answers (OpenAI `reasoning_effort`; servers take a subset). */
export const REASONING_EFFORTS = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh'] as const;
export type ReasoningEffort = (typeof REASONING_EFFORTS)[number];

/**
 * What a model takes (`llm.models.<model>`), over the built-in table of known families (modelSettingsOf):
 * reasoning models (OpenAI o1, o3, o4-mini, gpt-5...) count their output limit as `max_completion_tokens`
 * (thinking included), take no `temperature` and take a `reasoning_effort`.
 */
export const ModelSettings = z
  .object({
    /** A reasoning model: defaults maxTokensParam to max_completion_tokens and temperature to false. */
    reasoning: z.boolean().optional(),
    /** Sent as `reasoning_effort` (a role's own `reasoningEffort` wins); absent: the server's default. */
    reasoningEffort: z.enum(REASONING_EFFORTS).optional(),
    /** The name the output limit (`maxTokens`) is sent under. */
    maxTokensParam: z.enum(['max_completion_tokens', 'max_tokens']).optional(),
    /** Whether the model takes a temperature: false drops the roles' `temperature` from its requests. */
    temperature: z.boolean().optional(),
    /** Gemini thinking models: tokens the model may think with (0 off, -1 the model decides). */
    thinkingBudget: z.number().int().min(-1).optional(),
  })
  .strict();
export type ModelSettings = z.infer<typeof ModelSettings>;

/**
 * Known model families, by name (a provider prefix such as `openai/` is ignored): OpenAI's reasoning models.
 * `llm.models` entries override any field; a model not listed takes `max_tokens` and a temperature.
 */
const BUILTIN_MODELS: readonly { family: RegExp; settings: ModelSettings }[] = [
  { family: /^o[134](-|$)/, settings: { reasoning: true } },
  { family: /^gpt-5(?!.*-chat)/, settings: { reasoning: true } },
];

/** The parameters a model's requests carry, resolved from `llm.models` over the built-in table. */
export interface ModelParams {
  maxTokensParam: 'max_completion_tokens' | 'max_tokens';
  temperature: boolean;
  reasoningEffort?: ReasoningEffort;
  thinkingBudget?: number;
}

export function modelSettingsOf(models: Record<string, ModelSettings>, model: string): ModelParams {
  const base = model.slice(model.lastIndexOf('/') + 1).toLowerCase();
  const builtin = BUILTIN_MODELS.find((m) => m.family.test(base))?.settings ?? {};
  const s: ModelSettings = { ...builtin, ...models[model] };
  const reasoning = s.reasoning ?? false;
  return {
    maxTokensParam: s.maxTokensParam ?? (reasoning ? 'max_completion_tokens' : 'max_tokens'),
    temperature: s.temperature ?? !reasoning,
    ...(s.reasoningEffort !== undefined ? { reasoningEffort: s.reasoningEffort } : {}),
    ...(s.thinkingBudget !== undefined ? { thinkingBudget: s.thinkingBudget } : {}),
  };
}

export const RoleSettings = z
  .object({
    /** "offline" or the name of a provider in `providers`. */
    provider: z.string(),
    model: z.string().optional(),
    /** Dropped for a model that takes none (a reasoning model: `llm.models`, modelSettingsOf). */
    temperature: z.number().min(0).max(2).optional(),
    /** The answer's output limit; for a reasoning model its thinking counts too (max_completion_tokens). */
    maxTokens: z.number().int().positive().optional(),
    /** This role's `reasoning_effort`, over the model's (`llm.models.<model>.reasoningEffort`). */
    reasoningEffort: z.enum(REASONING_EFFORTS).optional(),
    /**
     * Send this role's requests through the provider's batch API (half price at OpenAI, answers within 24 h)
     * instead of one by one. Only for providers of kind openai.
     */
    batch: z.boolean().optional(),
    /**
     * How a role that writes tool calls (TOOL_MODE_ROLES) gets them: `tools`, the turn's functions sent as
     * native tools and the answer's tool calls read (OpenAI `tool_calls`, Gemini `functionCall` parts), or
     * `json`, the calls written as JSON in the answer's text. Default: `tools`, except in batch mode.
     */
    mode: z.enum(['tools', 'json']).optional(),
  })
  .strict();
export type RoleSettings = z.infer<typeof RoleSettings>;

export const Price = z
  .object({
    input: z.number().min(0),
    output: z.number().min(0),
    /**
     * Price of the input tokens the provider served from its prompt cache (a repeated prompt prefix); when
     * absent, the provider kind's smallest published discount (core/cost.ts: OpenAI 50% of `input`, Gemini 25%).
     */
    cachedInput: z.number().min(0).optional(),
    /** Prices of batch requests; half of `input`/`output` when absent (OpenAI's Batch API discount). */
    batchInput: z.number().min(0).optional(),
    batchOutput: z.number().min(0).optional(),
  })
  .strict();
export type Price = z.infer<typeof Price>;

/** USD of one answer at `price` (per million tokens); a batch answer at the batch price. */
export function priceOf(
  price: Price | undefined,
  inputTokens: number,
  outputTokens: number,
  batch = false,
): number {
  if (!price) return 0;
  const input = batch ? (price.batchInput ?? price.input / 2) : price.input;
  const output = batch ? (price.batchOutput ?? price.output / 2) : price.output;
  return (inputTokens * input + outputTokens * output) / 1e6;
}

/** Batch settings of a role in batch mode, with the defaults filled in. */
export const BatchSettings = z.object({
  maxRequests: z.number(),
  collectSeconds: z.number(),
  pollSeconds: z.number(),
  maxAttempts: z.number(),
});
export type BatchSettings = z.infer<typeof BatchSettings>;

export const BATCH_DEFAULTS: BatchSettings = {
  maxRequests: 1000,
  collectSeconds: 60,
  pollSeconds: 60,
  maxAttempts: 3,
};

/**
 * A step of a role in batch mode waits for its batch: OpenAI promises an answer within 24 h, so its retry
 * deadline (the step's schedule-to-close timeout) covers that window and a resubmission.
 */
export const BATCH_RETRY_MS = 26 * 3_600_000;

/** LLM settings: a default for every role, overridable per role; prices in USD per million tokens. */
export const LlmConfig = z
  .object({
    providers: z.record(z.string(), ProviderConfig).default({}),
    default: RoleSettings.default({ provider: 'offline' }),
    roles: z.partialRecord(LlmRole, RoleSettings.partial()).default({}),
    /** Per model: which parameters it takes (reasoning models), over the built-in table (modelSettingsOf). */
    models: z.record(z.string(), ModelSettings).default({}),
    prices: z.record(z.string(), Price).default({}),
    /** Prompt overrides: role -> file with the system prompt (relative to the config). */
    prompts: z.partialRecord(LlmRole, z.string()).default({}),
    cache: z.boolean().default(true),
  })
  .strict()
  .superRefine((llm, ctx) => {
    const check = (s: Partial<RoleSettings>, path: (string | number)[]): void => {
      if (s.provider && s.provider !== 'offline' && !(s.provider in llm.providers)) {
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'provider'],
          message: `unknown provider "${s.provider}" (not in llm.providers)`,
        });
      }
    };
    check(llm.default, ['default']);
    for (const [role, s] of Object.entries(llm.roles)) if (s) check(s, ['roles', role]);
    for (const role of LLM_ROLES) {
      const r = resolveRoleSettings(llm, role);
      const kind = llm.providers[r.provider]?.kind;
      if (r.batch && kind && kind !== 'openai') {
        ctx.addIssue({
          code: 'custom',
          path: llm.roles[role]?.batch !== undefined ? ['roles', role, 'batch'] : ['default', 'batch'],
          message: `role ${role}: batch mode needs a provider of kind openai, and ${r.provider} is ${kind} (its SDK has no batch API)`,
        });
      }
      if (r.mode === 'tools' && llm.roles[role]?.mode === 'tools' && !TOOL_MODE_ROLES.includes(role)) {
        ctx.addIssue({
          code: 'custom',
          path: ['roles', role, 'mode'],
          message: `role ${role} has no tools mode (only ${TOOL_MODE_ROLES.join(' and ')} write tool calls)`,
        });
      }
      if (r.mode === 'tools' && r.batch && TOOL_MODE_ROLES.includes(role)) {
        ctx.addIssue({
          code: 'custom',
          path: llm.roles[role]?.mode !== undefined ? ['roles', role, 'mode'] : ['default', 'mode'],
          message: `role ${role}: tools mode is not available in batch mode (set mode "json" or batch false)`,
        });
      }
      if (r.provider !== 'offline' && !r.model) {
        ctx.addIssue({
          code: 'custom',
          path: ['roles', role, 'model'],
          message: `role ${role} uses provider ${r.provider} but names no model`,
        });
      }
    }
  });
export type LlmConfig = z.infer<typeof LlmConfig>;

/**
 * Roles that use a model only when configured explicitly: the student is a model you trained, not the
 * teacher; the quality judge runs its rule checks unless a model is asked for (a request per turn).
 */
const EXPLICIT_ROLES: readonly LlmRole[] = ['student', 'quality_judge'];

/**
 * Roles whose answer is tool calls, which can take them as native tool calls (`mode: "tools"`). The teacher
 * is not one: its calls are given to it (hidden guidance) and it writes only the texts around them.
 */
export const TOOL_MODE_ROLES: readonly LlmRole[] = ['forth_translate', 'student'];

/** Whether a role asks for native tool calls: its own mode, else tools where it can (not in batch mode). */
export function toolsModeOf(role: LlmRole, s: Pick<RoleSettings, 'mode' | 'batch'>): boolean {
  if (!TOOL_MODE_ROLES.includes(role)) return false;
  return (s.mode ?? (s.batch ? 'json' : 'tools')) === 'tools';
}

export function resolveRoleSettings(llm: Pick<LlmConfig, 'default' | 'roles'>, role: LlmRole): RoleSettings {
  if (EXPLICIT_ROLES.includes(role) && !llm.roles[role]?.provider) return { provider: 'offline' };
  return { ...llm.default, ...(llm.roles[role] ?? {}) } as RoleSettings;
}

/**
 * What an LLM activity needs to make a call: no key, only where to find it. Carried in workflow inputs,
 * so it must never hold a secret.
 */
export const ResolvedRole = z.discriminatedUnion('provider', [
  z.object({ provider: z.literal('offline'), role: LlmRole }),
  z.object({
    provider: z.literal('llm'),
    role: LlmRole,
    providerName: z.string(),
    kind: z.enum(['openai', 'gemini']),
    baseURL: z.string().optional(),
    /** Empty on Vertex AI (no key: the environment's Google Cloud credentials). */
    apiKeyEnv: z.string(),
    /** Gemini on Vertex AI; absent in inputs of earlier releases. */
    vertex: z.object({ project: z.string(), location: z.string() }).optional(),
    timeoutMs: z.number(),
    /** Total retry time of a step for transient errors; absent in inputs of the first releases. */
    retryMs: z.number().optional(),
    /** The longest back-off between attempts (provider retryMaxSeconds); absent: 2 minutes. */
    retryMaxMs: z.number().optional(),
    tokensPerMinute: z.number().optional(),
    model: z.string(),
    /** Absent for a model that takes no temperature (a reasoning model), whatever the role's settings say. */
    temperature: z.number().optional(),
    maxTokens: z.number().optional(),
    /** The name maxTokens is sent under; absent (inputs of earlier releases): max_tokens. */
    maxTokensParam: z.enum(['max_completion_tokens', 'max_tokens']).optional(),
    reasoningEffort: z.enum(REASONING_EFFORTS).optional(),
    /** Gemini thinking budget (llm.models.<model>.thinkingBudget). */
    thinkingBudget: z.number().optional(),
    /** How answers are constrained; absent (inputs of earlier releases): json_object, as they were sent. */
    structuredOutputs: z.enum(STRUCTURED_OUTPUTS).optional(),
    price: Price.optional(),
    /** Set when the config overrides the prompt; part of the cache key. */
    systemPrompt: z.string().optional(),
    /** Set for a role in batch mode; absent in inputs of earlier releases. */
    batch: BatchSettings.optional(),
    /** `tools`: the answer's calls are native tool calls (toolsModeOf); absent: JSON in the text, as before. */
    mode: z.literal('tools').optional(),
    cache: z.boolean(),
    cacheDir: z.string(),
    ledgerFile: z.string(),
  }),
]);
export type ResolvedRole = z.infer<typeof ResolvedRole>;

export function resolveRole(
  llm: LlmConfig,
  role: LlmRole,
  paths: { cacheDir: string; ledgerFile: string },
  prompts: Partial<Record<LlmRole, string>> = {},
): ResolvedRole {
  const s = resolveRoleSettings(llm, role);
  if (s.provider === 'offline') return { provider: 'offline', role };
  const p = llm.providers[s.provider];
  if (!p || !s.model) throw new Error(`role ${role}: provider ${s.provider} or model missing`);
  const batch = s.batch ? { ...BATCH_DEFAULTS, ...p.batch } : undefined;
  const m = modelSettingsOf(llm.models ?? {}, s.model);
  const reasoningEffort = s.reasoningEffort ?? m.reasoningEffort;
  return {
    provider: 'llm',
    role,
    providerName: s.provider,
    kind: p.kind,
    baseURL: p.baseURL,
    apiKeyEnv: p.apiKeyEnv ?? '',
    ...(p.vertexai && p.project && p.location
      ? { vertex: { project: p.project, location: p.location } }
      : {}),
    timeoutMs: p.timeoutMs,
    // runRoles resolves in the workflow from the run's input: a config of an older release has no retryHours
    ...(p.retryHours !== undefined ? { retryMs: p.retryHours * 3_600_000 } : {}),
    // a role in batch mode waits for its batch: at least the batch window (configs of older releases have none)
    ...(batch ? { retryMs: Math.max(BATCH_RETRY_MS, (p.retryHours ?? 0) * 3_600_000), batch } : {}),
    ...(p.retryMaxSeconds !== undefined ? { retryMaxMs: p.retryMaxSeconds * 1000 } : {}),
    tokensPerMinute: p.tokensPerMinute,
    model: s.model,
    temperature: m.temperature ? s.temperature : undefined,
    maxTokens: s.maxTokens,
    maxTokensParam: m.maxTokensParam,
    ...(reasoningEffort !== undefined ? { reasoningEffort } : {}),
    ...(m.thinkingBudget !== undefined ? { thinkingBudget: m.thinkingBudget } : {}),
    structuredOutputs: structuredOutputsOf(p),
    ...(toolsModeOf(role, s) ? { mode: 'tools' as const } : {}),
    price: llm.prices[s.model],
    systemPrompt: prompts[role],
    cache: llm.cache,
    ...paths,
  };
}

export const ExecutionConfig = z
  .object({
    /** builtin: only built-in tool sets; simulated: always simulate; auto: built-in when one exists. */
    mode: z.enum(['auto', 'builtin', 'simulated']).default('auto'),
    /**
     * How long one call of an outside tool (MCP server, HTTP service) may take; past it the tool is unavailable
     * (never data): the step retries, then the conversation waits for `magnet retry`.
     */
    timeoutSeconds: z.number().positive().max(120).default(30),
    /** The largest output (JSON text) an outside tool may return; a bigger one fails the step like a timeout. */
    maxOutputBytes: z.number().int().min(1000).max(50_000_000).default(1_000_000),
    /**
     * How many of the turns whose calls end in a tool error are kept, as labelled `tool_error` turns (the
     * assistant reports the failure): each such turn is kept with this probability (seeded), so at most this
     * share of turns; the others leave the record with the turns that depend on them.
     */
    keepErrorTurns: z.number().min(0).max(1).default(0.05),
    /**
     * Times a turn whose calls failed (a tool error) or could not be made is written again, with the failures
     * as feedback (other values, the environment as it is), before the record's grounding decides on it.
     */
    regenerate: z.number().int().min(0).max(5).default(2),
  })
  .strict();
/** builtin: only built-in tool sets; simulated: always simulate; auto: built-in when one exists. */
export type ExecutionMode = z.infer<typeof ExecutionConfig>['mode'];

/** A run configuration as written by the user (JSON). Unknown keys are errors: a typo must not be ignored. */
export const RunConfig = z
  .object({
    name: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
        'letters, digits, . _ - (max 64), starting with a letter or digit',
      )
      .optional(),
    /**
     * Pool files or folders (relative to the config file), and sources executed where they live:
     * `{"mcp": {...}}` MCP servers, `{"openapi": {...}}` OpenAPI documents.
     */
    pool: z.union([PoolEntry, z.array(PoolEntry).min(1)]),
    /** A prebuilt graph (from `magnet graph`); built by the run when absent. */
    graph: z.string().optional(),
    /** Output folder; default <data>/runs/<run id>. */
    output: z.string().optional(),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .default(1),
    /** Items the run makes, of every kind together (the mix splits them): one record each. */
    conversations: z.number().int().positive().max(10_000_000),
    /**
     * Weights per kind (single, parallel, multiple, multi_turn, irrelevance); default the paper's SFT mix
     * (core/mix.ts PAPER_MIX). `{"multi_turn": 1}` makes only multi-turn conversations, as releases before
     * the mix did. Absent from the inputs of runs started by those releases: they stay all multi-turn.
     */
    mix: MixConfig.default(PAPER_MIX),
    /** Conversations in flight; when absent, derived from the providers' rates (conversationsInFlight). */
    concurrency: z
      .object({ conversations: z.number().int().positive().max(10_000).optional() })
      .strict()
      .default({}),
    graphBuild: GraphConfig.default(GraphConfig.parse({})),
    ops: OpsConfig.default(OpsConfig.parse({})),
    /**
     * Worker tuning for this machine (each worker process). A provider's queue gets more activity slots when
     * its rate needs them (worker.ts createWorkers): steps hold a slot while they wait for the pacer.
     */
    workers: z
      .object({
        activities: z.number().int().positive().max(10_000).default(32),
        workflowTasks: z.number().int().positive().max(10_000).default(40),
      })
      .strict()
      .default({ activities: 32, workflowTasks: 40 }),
    /**
     * Conversations (child workflows) one execution of the run starts before it continues as new, so its
     * history stays small (about 3 KB per child: 200 keep it near 600 KB, well under the 1 MB a workflow task
     * reads comfortably). Absent: the run's default (200; 500 for runs started before the patch).
     */
    continueAsNewEvery: z.number().int().positive().max(2000).optional(),
    /** Same-category functions offered besides the FSP's, so the model must choose. */
    distractors: z.number().int().min(0).max(100).default(3),
    llm: LlmConfig.default(LlmConfig.parse({})),
    /**
     * Negative trajectories for mDPO: needs `llm.roles.student` on a real provider (an SFT model to sample);
     * `samples` student answers per turn (the paper uses 10).
     */
    negatives: z
      .object({ samples: z.number().int().min(1).max(50).default(2) })
      .strict()
      .default({ samples: 2 }),
    /** A turn that fails for good waits this long for `magnet retry` before its conversation is failed. */
    failedTurns: z
      .object({
        waitSeconds: z
          .number()
          .int()
          .min(0)
          .max(30 * 24 * 3600)
          .default(0),
      })
      .strict()
      .default({ waitSeconds: 0 }),
    execution: ExecutionConfig.default(ExecutionConfig.parse({})),
    /** The per-turn quality filter (role quality_judge) and the removal of repeated queries from exports. */
    quality: QualityConfig.default(QualityConfig.parse({})),
    /** Training and evaluation formats the run writes into <run>/export/ at its end (as `magnet export`). */
    export: z
      .object({
        formats: z.array(z.enum(EXPORT_FORMATS)).default([]),
        /** Share of conversations in the train split; the rest is validation (and BFCL's entries). */
        split: z.number().gt(0).max(1).default(DEFAULT_SPLIT),
        /** The licence the dataset card states (a Hugging Face licence id). */
        license: z.string().min(1).default('unknown'),
      })
      .strict()
      .default({ formats: [], split: DEFAULT_SPLIT, license: 'unknown' }),
  })
  .strict()
  // the workflow reads a number: the default is decided here, before the run starts, from the providers
  .transform((c) => ({
    ...c,
    concurrency: { conversations: c.concurrency.conversations ?? conversationsInFlight(c.llm) },
  }));
export type RunConfig = z.infer<typeof RunConfig>;

/** Conversations in flight of a run whose roles are all offline (CPU-bound: a few per core is plenty). */
export const OFFLINE_CONVERSATIONS = 8;
/**
 * Seconds of requests at a provider's configured rate kept in flight or queued for the pacer. A conversation
 * has about one request in flight at a time, and the provider's cap is reached only with rate × latency
 * requests in flight: 10 s covers slow answers of real models (a few seconds) and the cheap steps between
 * requests; a surplus only queues in the pacer.
 */
export const CONVERSATION_SECONDS = 10;
/** A provider with no configured rate (AIMD finds it from its 429s) adds this many conversations. */
export const UNPACED_CONVERSATIONS = 32;

/**
 * The default of `concurrency.conversations`: the sum over the providers the roles use of
 * requestsPerSecond × CONVERSATION_SECONDS (UNPACED_CONVERSATIONS for a provider without a rate), at least
 * OFFLINE_CONVERSATIONS, at most 2000. A config that sets it keeps its value.
 */
export function conversationsInFlight(llm: Pick<LlmConfig, 'default' | 'roles' | 'providers'>): number {
  const used = new Set(LLM_ROLES.map((role) => resolveRoleSettings(llm, role).provider));
  let n = 0;
  for (const name of used) {
    const p = llm.providers[name];
    if (!p) continue; // offline
    n += p.requestsPerSecond ? Math.ceil(p.requestsPerSecond * CONVERSATION_SECONDS) : UNPACED_CONVERSATIONS;
  }
  return Math.min(2000, Math.max(OFFLINE_CONVERSATIONS, n));
}

/** What a run workflow receives: the validated config with absolute paths, and where data goes. */
export const RunInput = z.object({
  runId: z.string(),
  config: RunConfig,
  poolPaths: z.array(z.string()),
  /** MCP servers and OpenAPI services of the pool (absent in inputs of earlier releases). */
  poolSources: z.array(ToolSource).optional(),
  graphPath: z.string().optional(),
  outDir: z.string(),
  /** Artifact store root (content-addressed objects). */
  storeDir: z.string(),
  /** LLM response cache folder. */
  cacheDir: z.string(),
  /** Task queue of workflows and local activities; LLM queues derive from it. */
  taskQueue: z.string(),
  /** Prompt overrides read from the files the config names (role -> system prompt). */
  prompts: z.partialRecord(LlmRole, z.string()).default({}),
  /** magnet's search attributes are registered on the namespace (set by the client after checking). */
  searchAttributes: z.boolean().default(false),
});
export type RunInput = z.infer<typeof RunInput>;

/** The resolved roles of a run (providers, models, prompts), as its conversations receive them. */
export function runRoles(input: RunInput): Record<LlmRole, ResolvedRole> {
  const paths = { cacheDir: input.cacheDir, ledgerFile: `${input.outDir}/llm-calls.jsonl` };
  return Object.fromEntries(
    LLM_ROLES.map((r) => [r, resolveRole(input.config.llm, r, paths, input.prompts)]),
  ) as Record<LlmRole, ResolvedRole>;
}
