import { z } from 'zod';

/**
 * LLM usage: what was paid for (requests, tokens, cost) and what the cache answered for free.
 *
 * `cachedInputTokens` and `reasoningTokens` are parts of `inputTokens` and `outputTokens`, never added to
 * them: the input tokens a provider served from its prompt cache (priced at `prices[model].cachedInput`), and
 * the output tokens a reasoning model spent thinking (priced as output, like the rest of the output). Usage
 * written by releases before them (workflow histories, ledgers, batch results) has neither: read as 0.
 */
export const Usage = z.object({
  /** Requests actually sent (and paid for). */
  requests: z.number(),
  /** Answers served from the cache. */
  cached: z.number(),
  inputTokens: z.number(),
  outputTokens: z.number(),
  costUsd: z.number(),
  /** Of `inputTokens`, those the provider served from its prompt cache (a repeated prompt prefix). */
  cachedInputTokens: z.number().optional(),
  /** Of `outputTokens`, those a reasoning model spent thinking. */
  reasoningTokens: z.number().optional(),
});
export type Usage = z.infer<typeof Usage>;

export const NO_USAGE: Usage = { requests: 0, cached: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };

/** The sum of two usages; the token parts are summed when either has them (else left out, as before them). */
export function addUsage(a: Usage, b: Usage): Usage {
  const sum: Usage = {
    requests: a.requests + b.requests,
    cached: a.cached + b.cached,
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    costUsd: a.costUsd + b.costUsd,
  };
  if (a.cachedInputTokens !== undefined || b.cachedInputTokens !== undefined)
    sum.cachedInputTokens = (a.cachedInputTokens ?? 0) + (b.cachedInputTokens ?? 0);
  if (a.reasoningTokens !== undefined || b.reasoningTokens !== undefined)
    sum.reasoningTokens = (a.reasoningTokens ?? 0) + (b.reasoningTokens ?? 0);
  return sum;
}

/**
 * What the call ledger adds to usage: the part of `costUsd` paid for cached input tokens, and what they would
 * have cost more at the full input price. Ledger lines without cached tokens (and those of earlier releases)
 * have neither: 0.
 */
export interface PaidUsage extends Usage {
  cachedInputCostUsd?: number;
  cacheSavedUsd?: number;
}

export const NO_PAID_USAGE: PaidUsage = {
  ...NO_USAGE,
  cachedInputTokens: 0,
  reasoningTokens: 0,
  cachedInputCostUsd: 0,
  cacheSavedUsd: 0,
};

export function addPaidUsage(a: PaidUsage, b: PaidUsage): PaidUsage {
  return {
    ...addUsage(a, b),
    cachedInputCostUsd: (a.cachedInputCostUsd ?? 0) + (b.cachedInputCostUsd ?? 0),
    cacheSavedUsd: (a.cacheSavedUsd ?? 0) + (b.cacheSavedUsd ?? 0),
  };
}
