/**
 * Per-process token budget per provider. Temporal's task-queue limit caps requests per second for all
 * workers; tokens per minute it cannot see, so each process keeps a sliding window of what it spent, defers
 * to the provider's `x-ratelimit-*` headers when they say less is left, and after a 429 every call to that
 * provider waits out the cool-down instead of hammering it.
 */
interface ProviderWindow {
  spent: { at: number; tokens: number }[];
  coolUntil: number;
}

const windows = new Map<string, ProviderWindow>();

function state(provider: string): ProviderWindow {
  let w = windows.get(provider);
  if (!w) {
    w = { spent: [], coolUntil: 0 };
    windows.set(provider, w);
  }
  return w;
}

/** How long to wait before spending `tokens` (0 = go now). */
export function waitTime(provider: string, tokens: number, tpm: number | undefined, now: number): number {
  const w = state(provider);
  const cool = Math.max(0, w.coolUntil - now);
  if (!tpm) return cool;
  w.spent = w.spent.filter((s) => now - s.at < 60_000);
  let used = w.spent.reduce((a, s) => a + s.tokens, 0);
  if (used + tokens <= tpm) return cool;
  // wait until enough of the window expires
  for (const s of w.spent) {
    used -= s.tokens;
    if (used + tokens <= tpm) return Math.max(cool, s.at + 60_000 - now);
  }
  return Math.max(cool, 60_000);
}

export function recordSpend(provider: string, tokens: number, now: number): void {
  state(provider).spent.push({ at: now, tokens });
}

/** After a 429 or a header saying the budget is gone: nobody calls this provider before `until`. */
export function coolDown(provider: string, until: number): void {
  const w = state(provider);
  w.coolUntil = Math.max(w.coolUntil, until);
}

/** Parses "1s", "6m0s", "250ms", "20" (seconds) as used by OpenAI-style rate-limit headers. */
export function parseDuration(text: string | null | undefined): number | undefined {
  if (!text) return undefined;
  if (/^\d+(\.\d+)?$/.test(text.trim())) return Number(text) * 1000;
  let ms = 0;
  let matched = false;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) {
    matched = true;
    const v = Number(m[1]);
    ms += m[2] === 'ms' ? v : m[2] === 's' ? v * 1000 : m[2] === 'm' ? v * 60_000 : v * 3_600_000;
  }
  return matched ? ms : undefined;
}

export function resetLimiter(): void {
  windows.clear();
}
