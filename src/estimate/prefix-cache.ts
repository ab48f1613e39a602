/**
 * The providers' prompt caches, played over the estimate's requests: a request's cached input tokens are the
 * longest prefix it shares with an earlier request to the same model, counted by the provider's rule. The
 * share of input tokens this gives over a sample of the run's own requests is the share the estimate assumes.
 *
 * The rules are the providers' published ones; the cache is assumed warm (a prefix seen once stays), which a
 * busy run keeps true: requests of a role come seconds apart, and OpenAI keeps a prefix 5-10 minutes idle.
 */

export interface PromptCacheRule {
  /** A prefix shorter than this is not cached at all. */
  minTokens: number;
  /** Cached tokens come in steps of this many (beyond nothing, the minimum). */
  stepTokens: number;
}

/**
 * - openai: automatic for prompts of 1024 tokens or more, cached tokens in steps of 128 (1024, 1152, 1280...:
 *   OpenAI's prompt caching guide). OpenAI-compatible servers are played by the same rule; one that reports
 *   no cached tokens is paid in full (the estimate's notes give that cost too).
 * - gemini: implicit caching from 1024 tokens on 2.5 Flash and 2048 on 2.5 Pro (Gemini API, context caching);
 *   2048 for every model errs toward paying more.
 */
export const PROMPT_CACHE_RULES: Readonly<Record<'openai' | 'gemini', PromptCacheRule>> = {
  openai: { minTokens: 1024, stepTokens: 128 },
  gemini: { minTokens: 2048, stepTokens: 1 },
};

/** Tokens the provider bills as cached, of a shared prefix of `tokens` tokens. */
export function cachedByRule(rule: PromptCacheRule, tokens: number): number {
  if (tokens < rule.minTokens) return 0;
  return Math.floor(tokens / rule.stepTokens) * rule.stepTokens;
}

function commonPrefix(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

/**
 * Requests seen so far (of one model), sorted: the longest prefix a new one shares with any of them is the
 * one it shares with its neighbours in that order, so each request costs a binary search and two compares.
 */
export class PrefixCache {
  private readonly seen: string[] = [];

  /**
   * The messages' longest prefix shared with an earlier request (as messages: whole ones, then the part of
   * the first that differs), and the request remembered.
   */
  shared(messages: readonly string[]): string[] {
    // a separator no prompt holds, so a prefix never runs from one message into the next
    const key = messages.join('\u0000');
    let lo = 0;
    let hi = this.seen.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.seen[mid] as string) < key) lo = mid + 1;
      else hi = mid;
    }
    const before = lo > 0 ? commonPrefix(this.seen[lo - 1] as string, key) : 0;
    const after = lo < this.seen.length ? commonPrefix(this.seen[lo] as string, key) : 0;
    if (this.seen[lo] !== key) this.seen.splice(lo, 0, key);
    let chars = Math.max(before, after);
    const out: string[] = [];
    for (const m of messages) {
      if (chars <= 0) break;
      out.push(m.slice(0, chars));
      chars -= m.length + 1;
    }
    return out;
  }
}
