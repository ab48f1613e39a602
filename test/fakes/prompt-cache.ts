/**
 * A fake provider's automatic prompt cache, as OpenAI's works: a request's cached tokens are the longest
 * prefix its messages share with an earlier request to the same model, counted as the fakes count tokens
 * (characters / 4, like prompt_tokens), reported only from `minTokens` on and in steps of `stepTokens`
 * (OpenAI: 1,024 and 128). Written on its own (a scan over the earlier prompts), not with the estimator's
 * code, so that a test comparing the two compares two implementations of the provider's rule.
 */
export interface PromptCacheOptions {
  /** A shared prefix shorter than this is not cached (default 1024). */
  minTokens?: number;
  /** Cached tokens come in steps of this many (default 128). */
  stepTokens?: number;
}

export class FakePromptCache {
  private readonly seen = new Map<string, string[][]>();
  /** Cached tokens reported so far, over every answer. */
  total = 0;

  constructor(private readonly opts: PromptCacheOptions = {}) {}

  /** The cached tokens of a request whose message texts are `texts`, which is then remembered. */
  cached(model: string, texts: readonly string[]): number {
    const earlier = this.seen.get(model) ?? [];
    let best = 0;
    for (const e of earlier) best = Math.max(best, sharedChars(e, texts));
    earlier.push([...texts]);
    this.seen.set(model, earlier);
    const tokens = Math.floor(best / 4);
    const step = this.opts.stepTokens ?? 128;
    const cached = tokens < (this.opts.minTokens ?? 1024) ? 0 : Math.floor(tokens / step) * step;
    this.total += cached;
    return cached;
  }
}

/** Characters of the messages two requests share from the start: whole messages, then a common beginning. */
function sharedChars(a: readonly string[], b: readonly string[]): number {
  let n = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i] as string;
    const y = b[i] as string;
    if (x === y) {
      n += x.length;
      continue;
    }
    let k = 0;
    while (k < x.length && k < y.length && x[k] === y[k]) k++;
    return n + k;
  }
  return n;
}
