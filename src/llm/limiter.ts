/**
 * The request pacer: every HTTP request to a provider takes a slot from its provider's pacer in the process
 * that sends it (request.ts `ask()`, right before the call), so only requests spend the rate: not tool
 * executions, not cache hits, not the steps between. A Temporal task-queue rate limit cannot do this: it
 * counts activities, and one activity sends zero (cache hit, built-in tool) to many (repair, student samples)
 * requests.
 *
 * - The configured `requestsPerSecond` and `tokensPerMinute` hold for all workers together: each process takes
 *   its share, the limit divided by the number of live worker processes serving the provider's task queue
 *   (counted by `fleet.ts` from Temporal's DescribeTaskQueue).
 * - Requests are spaced evenly (GCRA: one slot every 1/rate s, no bursts), a little under the share
 *   (HEADROOM): a provider counting a strict 1-s window refuses the request that event-loop or network jitter
 *   moves a few ms early, and each refusal costs a Retry-After pause.
 * - AIMD: a 429 multiplies the rate by DECREASE (once per congestion event: only a request sent after the
 *   last decrease can cause another), successes add back about ADDITIVE of the share per second, never above
 *   the share. Without a configured rate: no spacing until the first 429, then AIMD from the observed rate,
 *   climbing fast up to near the best answer rate seen and slowly past it (the cap is found by probing).
 * - Retry-After and the `x-ratelimit-*` headers still pause every request of the process to that provider.
 *
 * The logic is pure (state in, `now` as a parameter), below; the process-wide queue of waiting requests
 * comes after it.
 */

/** Fraction of the share the pacer aims at (see above). */
export const HEADROOM = 0.95;
/** Multiplicative decrease on a 429. */
export const DECREASE = 0.7;
/**
 * Additive increase per second of successes, as a fraction of the share (or, with no configured rate, of the
 * best answer rate seen, at least FREE_STEP). It must not shrink with the rate: 429s that do not come from
 * our rate (a provider refusing one request in five, whatever the rate) then spiral the rate down to the
 * floor; scaled by the rate at the last cut, a test run fell to 0.25 requests/s.
 */
export const ADDITIVE = 0.1;
/** Additive increase per second (requests/s) at least, with no configured rate. */
export const FREE_STEP = 1;
/** With no configured rate: above this fraction of the last cut's rate (or the best answer rate), PROBE. */
export const PROBE_FROM = 0.9;
/** With no configured rate: the slow increase near the cap, as a fraction of it per second (0.9 to 1 in 40 s). */
export const PROBE = 0.0025;
/** The rate never drops below this (requests/s), so a provider that refused everything is asked again. */
export const MIN_RATE = 0.1;
/** Pause after a 429 that names no Retry-After. */
export const DEFAULT_COOL_MS = 1000;
/** How far back sends are counted to estimate the observed rate (for AIMD without a configured rate). */
const OBSERVE_MS = 2000;

export interface Limits {
  /** For all workers together; undefined = none configured. */
  requestsPerSecond?: number;
  tokensPerMinute?: number;
  /** Live worker processes sharing the limits (at least 1). */
  workers: number;
}

export interface PacerState {
  /** AIMD rate of this process in requests/s; Infinity until a 429 teaches one (no configured rate). */
  rate: number;
  /** Theoretical time of the next slot (GCRA); a request may go once `now >= next - tolerance`. */
  next: number;
  /** Nobody sends before this (Retry-After, exhausted budget headers). */
  coolUntil: number;
  /** Time of the last multiplicative decrease: 429s of requests sent before it belong to the same event. */
  lastDecrease: number;
  /** The best answer rate seen (requests/s), the scale of the additive step when no rate is configured. */
  peak: number;
  /** The rate at the last cut: where the provider refused, as far as we know (no configured rate). */
  limit: number;
  /** Send times within OBSERVE_MS. */
  sent: number[];
  /** Send times of the answered requests within OBSERVE_MS. */
  answered: number[];
  /** Tokens spent within the last minute. */
  spent: { at: number; tokens: number }[];
}

export function newPacer(): PacerState {
  return {
    rate: Number.POSITIVE_INFINITY,
    next: 0,
    coolUntil: 0,
    lastDecrease: Number.NEGATIVE_INFINITY,
    peak: 0,
    limit: 0,
    sent: [],
    answered: [],
    spent: [],
  };
}

/** This process's share of the configured rate, or Infinity. */
export function share(limits: Limits): number {
  return limits.requestsPerSecond
    ? limits.requestsPerSecond / Math.max(1, limits.workers)
    : Number.POSITIVE_INFINITY;
}

/** The rate requests are spaced at now (requests/s; Infinity = no spacing). */
export function pacedRate(p: PacerState, limits: Limits): number {
  return Math.min(p.rate, share(limits) * HEADROOM);
}

/** Requests sent within the last second (the rate before a first cut; a 2-s count halves a fresh burst). */
function observedRate(p: PacerState, now: number): number {
  return Math.max(1, p.sent.filter((t) => now - t < 1000).length);
}

function tokenWait(p: PacerState, tokens: number, tpm: number | undefined, now: number): number {
  if (!tpm) return 0;
  p.spent = p.spent.filter((s) => now - s.at < 60_000);
  let used = p.spent.reduce((a, s) => a + s.tokens, 0);
  // a request bigger than the whole budget (a small share) still goes, alone in its minute
  if (used <= 0 || used + tokens <= tpm) return 0;
  // wait until enough of the window expires
  for (const s of p.spent) {
    used -= s.tokens;
    if (used <= 0 || used + tokens <= tpm) return s.at + 60_000 - now;
  }
  return 60_000;
}

/** How long a request of about `tokens` tokens must wait before it may be sent (0 = now). */
export function pacerWait(p: PacerState, limits: Limits, tokens: number, now: number): number {
  const cool = Math.max(0, p.coolUntil - now);
  const rate = pacedRate(p, limits);
  // a timer firing a few ms late must not push every later slot back: that drift alone costs a few % of
  // the rate; a quarter of a slot (at most 10 ms) of tolerance absorbs it without allowing a burst
  const interval = Number.isFinite(rate) ? 1000 / rate : 0;
  const pace = interval > 0 ? Math.max(0, p.next - Math.min(10, interval / 4) - now) : 0;
  const tpm = limits.tokensPerMinute ? limits.tokensPerMinute / Math.max(1, limits.workers) : undefined;
  return Math.max(cool, pace, tokenWait(p, tokens, tpm, now));
}

/**
 * Takes the slot (call when pacerWait is 0): the next request goes one interval later. Returns the token
 * entry of the request, which holds the estimate until the answer says how many were spent.
 */
export function pacerTake(
  p: PacerState,
  limits: Limits,
  tokens: number,
  now: number,
): { at: number; tokens: number } {
  const rate = pacedRate(p, limits);
  p.next = Number.isFinite(rate) ? Math.max(p.next, now) + 1000 / rate : now;
  p.sent = p.sent.filter((t) => now - t < OBSERVE_MS);
  p.sent.push(now);
  const entry = { at: now, tokens };
  p.spent.push(entry);
  return entry;
}

/** A request sent at `sentAt` was answered: additive increase, up to the share. */
export function pacerSuccess(p: PacerState, limits: Limits, sentAt: number): void {
  p.answered = p.answered.filter((t) => sentAt - t < OBSERVE_MS);
  p.answered.push(sentAt);
  p.peak = Math.max(p.peak, (p.answered.length * 1000) / OBSERVE_MS);
  if (!Number.isFinite(p.rate) || sentAt < p.lastDecrease) return;
  const cap = share(limits);
  // with no configured rate the scale is only what the provider has answered so far, which random refusals
  // keep small: at least FREE_STEP then. Near the rate of the last cut or the best answer rate seen (the
  // provider's cap, as far as we know) the rate only creeps up (PROBE): each probe past the cap costs a 429
  // and a Retry-After pause, so they must be rare; a fast climb there ran into the cap every 4 s (67% of it
  // used, 4.5% 429s). The best answer rate, which never decreases, keeps random 429s from lowering the bar.
  const step = Number.isFinite(cap)
    ? ADDITIVE * cap
    : p.rate < PROBE_FROM * Math.max(p.peak, p.limit)
      ? Math.max(FREE_STEP, ADDITIVE * p.peak)
      : Math.max(MIN_RATE / 10, PROBE * Math.max(p.peak, p.limit));
  // about `step` per second while requests succeed at the current rate (one step per success below 1/s)
  p.rate = Math.min(cap * HEADROOM, p.rate + step / Math.max(1, p.rate));
}

/** A request sent at `sentAt` was answered 429: honour Retry-After; decrease once per congestion event. */
export function pacerRateLimited(
  p: PacerState,
  limits: Limits,
  sentAt: number,
  now: number,
  retryAfterMs: number | undefined,
): void {
  p.coolUntil = Math.max(p.coolUntil, now + (retryAfterMs ?? DEFAULT_COOL_MS));
  if (sentAt < p.lastDecrease) return;
  const current = pacedRate(p, limits);
  const base = Number.isFinite(current) ? current : observedRate(p, now);
  p.rate = Math.max(Math.min(MIN_RATE, share(limits)), base * DECREASE);
  p.limit = base;
  p.lastDecrease = now;
}

/** Headers of an answer: a budget the provider says is spent pauses the process until its reset. */
export function pacerHeaders(
  p: PacerState,
  headers: Record<string, string>,
  tokensNeeded: number,
  now: number,
): void {
  const pause = (remaining: string | undefined, reset: string | undefined, needed: number): void => {
    const left = Number(remaining);
    const ms = parseDuration(reset);
    if (remaining !== undefined && !Number.isNaN(left) && left < needed && ms)
      p.coolUntil = Math.max(p.coolUntil, now + ms);
  };
  pause(headers['x-ratelimit-remaining-tokens'], headers['x-ratelimit-reset-tokens'], tokensNeeded);
  pause(headers['x-ratelimit-remaining-requests'], headers['x-ratelimit-reset-requests'], 1);
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

// ---------------------------------------------------------------------------------------------------------
// The process-wide part: one pacer per provider, its limits, and a FIFO of requests waiting for a slot.

/** What the worker knows of a provider: its configured limits and how many processes share them. */
export interface ProviderLimits {
  requestsPerSecond?: number;
  tokensPerMinute?: number;
  /** Live worker processes serving the provider's queue (cached by the caller, cheap to call). */
  workers?: (now: number) => number;
}

interface Waiter {
  tokens: number;
  resolve: (sentAt: number, spent: { at: number; tokens: number }) => void;
  reject: (e: unknown) => void;
}

interface Provider {
  pacer: PacerState;
  configured: ProviderLimits;
  queue: Waiter[];
  timer?: NodeJS.Timeout;
}

const providers = new Map<string, Provider>();

function provider(name: string): Provider {
  let p = providers.get(name);
  if (!p) {
    p = { pacer: newPacer(), configured: {}, queue: [] };
    providers.set(name, p);
  }
  return p;
}

/**
 * Called by createWorkers for each provider its process serves: the limits of the worker's config (the run's
 * config for `magnet worker --run`) and the live-worker count of the provider's queue.
 */
export function configureProvider(name: string, limits: ProviderLimits): void {
  provider(name).configured = limits;
}

function limitsOf(p: Provider, tpmFallback: number | undefined, now: number): Limits {
  return {
    requestsPerSecond: p.configured.requestsPerSecond,
    tokensPerMinute: p.configured.tokensPerMinute ?? tpmFallback,
    workers: Math.max(1, p.configured.workers?.(now) ?? 1),
  };
}

/** Hands out slots to waiting requests in order, one timer per provider. */
function pump(name: string, tpmFallback: number | undefined): void {
  const p = provider(name);
  if (p.timer) return;
  while (p.queue.length > 0) {
    const head = p.queue[0] as Waiter;
    const now = Date.now();
    const limits = limitsOf(p, tpmFallback, now);
    const wait = pacerWait(p.pacer, limits, head.tokens, now);
    if (wait > 0) {
      p.timer = setTimeout(
        () => {
          p.timer = undefined;
          pump(name, tpmFallback);
        },
        Math.min(wait, 5000),
      );
      return;
    }
    const spent = pacerTake(p.pacer, limits, head.tokens, now);
    p.queue.shift();
    head.resolve(now, spent);
  }
}

/** A slot taken: pass it back with the outcome of the request. */
export interface Ticket {
  provider: string;
  sentAt: number;
  /** The request's entry in the token window (the estimate until the answer's usage replaces it). */
  spent: { at: number; tokens: number };
  tpm: number | undefined;
}

/**
 * Waits for a slot to send one request of about `tokens` tokens to `name`. `heartbeat` is called every second
 * while waiting (an activity must keep heartbeating); an aborted `signal` leaves the queue.
 */
export function acquire(
  name: string,
  tokens: number,
  opts: { tokensPerMinute?: number; heartbeat?: () => void; signal?: AbortSignal } = {},
): Promise<Ticket> {
  const p = provider(name);
  return new Promise<Ticket>((resolve, reject) => {
    if (opts.signal?.aborted) return reject(opts.signal.reason);
    const beat = opts.heartbeat ? setInterval(opts.heartbeat, 1000) : undefined;
    const done = (): void => {
      if (beat) clearInterval(beat);
      opts.signal?.removeEventListener('abort', onAbort);
    };
    const waiter: Waiter = {
      tokens,
      resolve: (sentAt, spent) => {
        done();
        resolve({ provider: name, sentAt, spent, tpm: opts.tokensPerMinute });
      },
      reject: (e) => {
        done();
        reject(e);
      },
    };
    const onAbort = (): void => {
      const i = p.queue.indexOf(waiter);
      if (i >= 0) p.queue.splice(i, 1);
      waiter.reject(opts.signal?.reason);
    };
    opts.signal?.addEventListener('abort', onAbort);
    p.queue.push(waiter);
    pump(name, opts.tokensPerMinute);
  });
}

/**
 * The request of `ticket` ended: `ok` with the answer's headers and tokens, `429` with its Retry-After, or
 * `other` (an error that says nothing about the rate; its estimate stays spent, as the provider may have
 * counted it).
 */
export function release(
  ticket: Ticket,
  outcome:
    | { kind: 'ok'; headers: Record<string, string>; tokens: number; tokensNeeded: number }
    | { kind: '429'; retryAfterMs?: number }
    | { kind: 'other' },
): void {
  const p = provider(ticket.provider);
  const now = Date.now();
  const limits = limitsOf(p, ticket.tpm, now);
  if (outcome.kind === 'ok') {
    ticket.spent.tokens = outcome.tokens;
    pacerSuccess(p.pacer, limits, ticket.sentAt);
    pacerHeaders(p.pacer, outcome.headers, outcome.tokensNeeded, now);
  } else if (outcome.kind === '429') {
    ticket.spent.tokens = 0;
    pacerRateLimited(p.pacer, limits, ticket.sentAt, now, outcome.retryAfterMs);
  }
  // a cool-down may have changed: the head of the queue re-plans its wait
  if (p.timer) {
    clearTimeout(p.timer);
    p.timer = undefined;
  }
  pump(ticket.provider, ticket.tpm);
}

/** The real token count of an answer replaces the estimate taken with its slot. */
export function recordSpend(name: string, tokens: number, now: number): void {
  provider(name).pacer.spent.push({ at: now, tokens });
}

/** How long a request to `name` would wait now (tests; the pacer itself uses acquire). */
export function waitTime(name: string, tokens: number, tpm: number | undefined, now: number): number {
  const p = provider(name);
  return pacerWait(p.pacer, limitsOf(p, tpm, now), tokens, now);
}

/** After a 429 or a header saying the budget is gone: nobody calls this provider before `until`. */
export function coolDown(name: string, until: number): void {
  const p = provider(name).pacer;
  p.coolUntil = Math.max(p.coolUntil, until);
}

export function resetLimiter(): void {
  for (const p of providers.values()) {
    if (p.timer) clearTimeout(p.timer);
    for (const w of p.queue) w.reject(new Error('limiter reset'));
  }
  providers.clear();
}
