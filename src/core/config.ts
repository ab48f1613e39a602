import { z } from 'zod';
import { GraphConfig } from './graph';
import { OpsConfig } from './ops';

/** LLM settings; the offline backend needs none of them. Keys are named by env var, never given inline. */
export const LlmConfig = z
  .object({
    backend: z.enum(['offline']).default('offline'),
  })
  .strict();

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
    /** Same-category functions offered besides the FSP's, so the model must choose. */
    distractors: z.number().int().min(0).max(100).default(3),
    llm: LlmConfig.default(LlmConfig.parse({})),
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
});
export type RunInput = z.infer<typeof RunInput>;
