import { z } from 'zod';

/** LLM usage: what was paid for (requests, tokens, cost) and what the cache answered for free. */
export const Usage = z.object({
  /** Requests actually sent (and paid for). */
  requests: z.number(),
  /** Answers served from the cache. */
  cached: z.number(),
  inputTokens: z.number(),
  outputTokens: z.number(),
  costUsd: z.number(),
});
export type Usage = z.infer<typeof Usage>;

export const NO_USAGE: Usage = { requests: 0, cached: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };

export function addUsage(a: Usage, b: Usage): Usage {
  return {
    requests: a.requests + b.requests,
    cached: a.cached + b.cached,
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    costUsd: a.costUsd + b.costUsd,
  };
}
