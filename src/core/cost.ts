import type { Price } from './config';

/**
 * What an answer costs, with its cached input tokens at the cached price. Reasoning tokens need no rule of
 * their own: they are part of the output tokens (OpenAI's completion_tokens include reasoning_tokens; the
 * Gemini provider adds thoughtsTokenCount to its output), so they are paid once, as output.
 */

/** The provider kinds prices are told apart by (a provider's `kind`). */
export type PriceKind = 'openai' | 'gemini';

/**
 * The cached input price as a share of `input` when `prices[model].cachedInput` is not set: the smallest
 * discount the provider publishes for its prompt cache, so that an unset price errs toward paying more.
 * - openai 0.5: OpenAI's automatic prompt caching bills cached input at half the input price on the models it
 *   started with (gpt-4o, gpt-4o-mini, o1: "Prompt Caching in the API", OpenAI, Oct 2024; e.g. o1 $15 input,
 *   $7.50 cached input). Later families are cheaper (gpt-4.1, o3, o4-mini 25% of input; gpt-5 family 10%):
 *   their pricing page lists a "cached input" price per model, to set as `cachedInput`.
 * - gemini 0.25: Gemini 2.5 implicit caching passes on "the same 75% token discount" as explicit context
 *   caching ("Gemini 2.5 Models now support implicit caching", Google Developers Blog, May 2025); later models
 *   list lower cached prices (set `cachedInput`).
 * OpenAI-compatible servers (vLLM, Ollama...) are of kind openai: a server that reports no cached tokens
 * (`prompt_tokens_details.cached_tokens`) is paid in full, whatever this says.
 */
export const DEFAULT_CACHED_INPUT_SHARE: Readonly<Record<PriceKind, number>> = { openai: 0.5, gemini: 0.25 };

/** USD per million cached input tokens at `price` (outside a batch). */
export function cachedInputRate(price: Price, kind: PriceKind): number {
  return price.cachedInput ?? price.input * DEFAULT_CACHED_INPUT_SHARE[kind];
}

/** Tokens of one answer, or of many: cached input tokens are part of the input tokens. */
export interface TokenCounts {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens?: number;
}

export interface Cost {
  costUsd: number;
  /** The part of `costUsd` paid for the cached input tokens. */
  cachedInputCostUsd: number;
  /** What the cached input tokens would have cost more at the full input price. */
  cacheSavedUsd: number;
}

/**
 * USD of an answer at `price` (per million tokens): uncached input at `input`, cached input at `cachedInput`
 * (or the kind's default share), output (reasoning included) at `output`. A batch answer pays the batch
 * prices (`batchInput`/`batchOutput`, half when absent), and its cached input the batch input price with the
 * same discount as outside a batch. No price: 0. Cached tokens beyond the input tokens count as input tokens.
 */
export function costOf(
  price: Price | undefined,
  t: TokenCounts,
  opts: { kind: PriceKind; batch?: boolean },
): Cost {
  if (!price) return { costUsd: 0, cachedInputCostUsd: 0, cacheSavedUsd: 0 };
  const cached = Math.min(Math.max(0, t.cachedInputTokens ?? 0), t.inputTokens);
  const full = cachedInputRate(price, opts.kind);
  const input = opts.batch ? (price.batchInput ?? price.input / 2) : price.input;
  const output = opts.batch ? (price.batchOutput ?? price.output / 2) : price.output;
  const cachedRate = opts.batch ? (price.input > 0 ? input * (full / price.input) : 0) : full;
  const cachedInputCostUsd = (cached * cachedRate) / 1e6;
  return {
    costUsd: ((t.inputTokens - cached) * input + t.outputTokens * output) / 1e6 + cachedInputCostUsd,
    cachedInputCostUsd,
    cacheSavedUsd: (cached * Math.max(0, input - cachedRate)) / 1e6,
  };
}
