import { z } from 'zod';
import { GraphConfig } from './graph';
import { OpsConfig } from './ops';

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
] as const;
export const LlmRole = z.enum(LLM_ROLES);
export type LlmRole = z.infer<typeof LlmRole>;

/** An LLM provider. The API key is named by environment variable, never written in a config. */
export const ProviderConfig = z
  .object({
    kind: z.enum(['openai', 'gemini']),
    /** Any OpenAI-compatible server (vLLM, Ollama, llama.cpp, LiteLLM, OpenRouter) or a Gemini endpoint. */
    baseURL: z.string().url().optional(),
    apiKeyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'the NAME of an environment variable, not a key'),
    /** Requests per second for all workers together (a Temporal task-queue rate limit). */
    requestsPerSecond: z.number().positive().max(10_000).optional(),
    /** Tokens per minute (prompt + completion) this process may spend; the provider's headers refine it. */
    tokensPerMinute: z.number().int().positive().optional(),
    timeoutMs: z.number().int().positive().default(120_000),
    /**
     * How long one step keeps retrying transient errors (429, 5xx, timeouts, resets) before it fails and waits
     * for `magnet retry`: a provider having a bad hour slows a run down instead of failing it.
     */
    retryHours: z.number().positive().max(720).default(6),
  })
  .strict();
export type ProviderConfig = z.infer<typeof ProviderConfig>;

export const RoleSettings = z
  .object({
    /** "offline" or the name of a provider in `providers`. */
    provider: z.string(),
    model: z.string().optional(),
    temperature: z.number().min(0).max(2).optional(),
    maxTokens: z.number().int().positive().optional(),
  })
  .strict();
export type RoleSettings = z.infer<typeof RoleSettings>;

export const Price = z.object({ input: z.number().min(0), output: z.number().min(0) }).strict();

/** LLM settings: a default for every role, overridable per role; prices in USD per million tokens. */
export const LlmConfig = z
  .object({
    providers: z.record(z.string(), ProviderConfig).default({}),
    default: RoleSettings.default({ provider: 'offline' }),
    roles: z.partialRecord(LlmRole, RoleSettings.partial()).default({}),
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

/** Roles that run only when configured explicitly (the student is a model you trained, not the teacher). */
const EXPLICIT_ROLES: readonly LlmRole[] = ['student'];

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
    apiKeyEnv: z.string(),
    timeoutMs: z.number(),
    /** Total retry time of a step for transient errors; absent in inputs of the first releases. */
    retryMs: z.number().optional(),
    tokensPerMinute: z.number().optional(),
    model: z.string(),
    temperature: z.number().optional(),
    maxTokens: z.number().optional(),
    price: Price.optional(),
    /** Set when the config overrides the prompt; part of the cache key. */
    systemPrompt: z.string().optional(),
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
  return {
    provider: 'llm',
    role,
    providerName: s.provider,
    kind: p.kind,
    baseURL: p.baseURL,
    apiKeyEnv: p.apiKeyEnv,
    timeoutMs: p.timeoutMs,
    // runRoles resolves in the workflow from the run's input: a config of an older release has no retryHours
    ...(p.retryHours !== undefined ? { retryMs: p.retryHours * 3_600_000 } : {}),
    tokensPerMinute: p.tokensPerMinute,
    model: s.model,
    temperature: s.temperature,
    maxTokens: s.maxTokens,
    price: llm.prices[s.model],
    systemPrompt: prompts[role],
    cache: llm.cache,
    ...paths,
  };
}

/** The task queue an LLM role's activities run on: one per provider, so each can be rate-limited. */
export function llmTaskQueue(base: string, r: ResolvedRole): string {
  return r.provider === 'offline' ? base : `${base}-llm-${r.providerName}`;
}

export const ExecutionConfig = z
  .object({
    /** builtin: only built-in tool sets; simulated: always simulate; auto: built-in when one exists. */
    mode: z.enum(['auto', 'builtin', 'simulated']).default('auto'),
  })
  .strict();

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
    /** Pool files or folders, relative to the config file. */
    pool: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
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
    conversations: z.number().int().positive().max(10_000_000),
    concurrency: z
      .object({ conversations: z.number().int().positive().max(10_000).default(8) })
      .strict()
      .default({ conversations: 8 }),
    graphBuild: GraphConfig.default(GraphConfig.parse({})),
    ops: OpsConfig.default(OpsConfig.parse({})),
    /** Worker tuning for this machine (each worker process; LLM queues are also capped by requestsPerSecond). */
    workers: z
      .object({
        activities: z.number().int().positive().max(10_000).default(32),
        workflowTasks: z.number().int().positive().max(10_000).default(40),
      })
      .strict()
      .default({ activities: 32, workflowTasks: 40 }),
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
  })
  .strict();
export type RunConfig = z.infer<typeof RunConfig>;

/** What a run workflow receives: the validated config with absolute paths, and where data goes. */
export const RunInput = z.object({
  runId: z.string(),
  config: RunConfig,
  poolPaths: z.array(z.string()),
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
