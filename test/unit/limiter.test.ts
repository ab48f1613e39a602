import { livePollers } from '../../src/llm/fleet';
import { startFakeOpenAI } from '../fakes';
import {
  DECREASE,
  HEADROOM,
  MIN_RATE,
  newPacer,
  pacedRate,
  pacerHeaders,
  pacerRateLimited,
  pacerSuccess,
  pacerTake,
  pacerWait,
  share,
  type Limits,
  type PacerState,
} from '../../src/llm/limiter';

/**
 * The pacer's pure logic with an injected clock: a simulated sender takes every slot as soon as the pacer
 * allows it, and the test looks at when requests went.
 */

/** Sends `n` requests as early as the pacer lets them go, from `start`; returns the send times. */
function drive(p: PacerState, limits: Limits, n: number, start: number, tokens = 10): number[] {
  const times: number[] = [];
  let now = start;
  while (times.length < n) {
    const wait = pacerWait(p, limits, tokens, now);
    if (wait > 0) {
      now += wait;
      continue;
    }
    pacerTake(p, limits, tokens, now);
    times.push(now);
  }
  return times;
}

/** The most requests within any window of `ms` (a sliding window, as a strict provider counts). */
function maxInWindow(times: number[], ms: number): number {
  let best = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while ((times[i] as number) - (times[j] as number) >= ms) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

describe('request pacer', () => {
  const eight: Limits = { requestsPerSecond: 8, workers: 1 };

  it('spaces requests evenly under the configured rate: no 1-s window holds more than the rate', () => {
    const p = newPacer();
    const times = drive(p, eight, 200, 1_000_000);
    expect(maxInWindow(times, 1000)).toBeLessThanOrEqual(8);
    const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
    // no burst: every gap is (almost) one slot of the paced rate
    const slot = 1000 / (8 * HEADROOM);
    for (const g of gaps) expect(g).toBeGreaterThanOrEqual(slot - 10);
    // and the rate is used: 200 requests in about 200 slots
    expect((times[199] as number) - (times[0] as number)).toBeLessThanOrEqual(200 * slot);
  });

  it('does not burst after an idle period', () => {
    const p = newPacer();
    drive(p, eight, 5, 0);
    const later = drive(p, eight, 20, 60_000);
    expect(maxInWindow(later, 1000)).toBeLessThanOrEqual(8);
  });

  it('a timer firing late does not push every later slot back (tolerance), nor allow a burst', () => {
    const p = newPacer();
    const slot = 1000 / pacedRate(p, eight);
    let now = 0;
    const times: number[] = [];
    for (let i = 0; i < 100; i++) {
      now += pacerWait(p, eight, 1, now) + 3; // every wake-up 3 ms late
      expect(pacerWait(p, eight, 1, now)).toBe(0);
      pacerTake(p, eight, 1, now);
      times.push(now);
    }
    // 100 requests still take about 100 slots, not 100 × (slot + 3 ms)
    expect((times[99] as number) - (times[0] as number)).toBeLessThan(99 * slot + 20);
    expect(maxInWindow(times, 1000)).toBeLessThanOrEqual(8);
  });

  it('takes its share: with two live workers, each process sends half the rate', () => {
    const limits: Limits = { requestsPerSecond: 8, workers: 2 };
    expect(share(limits)).toBe(4);
    const a = drive(newPacer(), limits, 40, 0);
    const b = drive(newPacer(), limits, 40, 137); // another process, another phase
    expect(maxInWindow(a, 1000)).toBeLessThanOrEqual(4);
    // together they hold the configured rate in every 1-s window
    expect(
      maxInWindow(
        [...a, ...b].sort((x, y) => x - y),
        1000,
      ),
    ).toBeLessThanOrEqual(8);
  });

  it('AIMD: a 429 cuts the rate once per congestion event, successes bring it back up to the share', () => {
    const p = newPacer();
    const full = pacedRate(p, eight);
    expect(full).toBeCloseTo(8 * HEADROOM);
    const times = drive(p, eight, 10, 0);
    const now = (times[9] as number) + 50;
    pacerRateLimited(p, eight, times[8] as number, now, 1000);
    expect(pacedRate(p, eight)).toBeCloseTo(full * DECREASE);
    // Retry-After: nobody sends for a second
    expect(pacerWait(p, eight, 1, now)).toBe(1000);
    // a 429 of a request sent before the cut is the same event: no second cut
    pacerRateLimited(p, eight, times[9] as number, now + 10, 1000);
    expect(pacedRate(p, eight)).toBeCloseTo(full * DECREASE);
    // successes of requests sent before the cut do not raise it either
    pacerSuccess(p, eight, times[9] as number);
    expect(pacedRate(p, eight)).toBeCloseTo(full * DECREASE);
    // requests sent after the cut succeed: the rate climbs back, never above the share
    let t = now + 1000;
    const rates: number[] = [];
    for (let i = 0; i < 400; i++) {
      t += pacerWait(p, eight, 1, t);
      pacerTake(p, eight, 1, t);
      pacerSuccess(p, eight, t);
      rates.push(pacedRate(p, eight));
    }
    for (let i = 1; i < rates.length; i++)
      expect(rates[i] as number).toBeGreaterThanOrEqual(rates[i - 1] as number);
    expect(rates[rates.length - 1]).toBeCloseTo(full);
    expect(Math.max(...rates)).toBeLessThanOrEqual(full + 1e-9);
  });

  it('AIMD: repeated 429s keep cutting, down to a floor', () => {
    const p = newPacer();
    let t = 0;
    for (let i = 0; i < 50; i++) {
      t += 2000;
      pacerTake(p, eight, 1, t);
      pacerRateLimited(p, eight, t, t + 1, 100);
    }
    expect(pacedRate(p, eight)).toBe(MIN_RATE);
    expect(pacerWait(p, eight, 1, t + 500)).toBeGreaterThan(0);
  });

  it('AIMD: random 429s (one request in five, whatever the rate) do not drive the rate to the floor', () => {
    // a sender that would go at 20/s, against a provider refusing every fifth request
    const settle = (limits: Limits): number => {
      const p = newPacer();
      let t = 0;
      for (let i = 0; i < 3000; i++) {
        t += Math.max(50, pacerWait(p, limits, 1, t));
        pacerTake(p, limits, 1, t);
        if (i % 5 === 4) pacerRateLimited(p, limits, t, t + 100, 1000);
        else pacerSuccess(p, limits, t);
      }
      return pacedRate(p, limits);
    };
    // configured: a quarter of the share or more (each cut also pauses a second: the provider is in trouble)
    expect(settle(eight)).toBeGreaterThan(8 / 4);
    // not configured: the step does not shrink with the rate (scaled by the last cut, it spirals down)
    expect(settle({ workers: 1 })).toBeGreaterThan(2);
  });

  it('without a configured rate: unlimited until a 429, then AIMD from the observed rate', () => {
    const p = newPacer();
    const none: Limits = { workers: 1 };
    // 40 requests within one second go at once
    for (let i = 0; i < 40; i++) {
      expect(pacerWait(p, none, 1, i * 25)).toBe(0);
      pacerTake(p, none, 1, i * 25);
    }
    expect(pacedRate(p, none)).toBe(Number.POSITIVE_INFINITY);
    pacerRateLimited(p, none, 975, 1000, 200);
    // 39 requests sent within the last second (the one at 0 ms is a second old): cut to 0.7 × 39/s
    expect(pacedRate(p, none)).toBeCloseTo(39 * DECREASE);
    const after = drive(p, none, 30, 1200);
    expect(maxInWindow(after, 1000)).toBeLessThanOrEqual(Math.ceil(39 * DECREASE) + 1);
  });

  it('without a configured rate: finds a strict cap by probing, and uses most of it with few 429s', () => {
    // a provider admitting 8 requests in any 1-s window, answering at once; a sender always ready
    const p = newPacer();
    const none: Limits = { workers: 1 };
    const admitted: number[] = [];
    let t = 0;
    let ok = 0;
    let refused = 0;
    while (t < 300_000) {
      t += Math.max(1, pacerWait(p, none, 1, t));
      pacerTake(p, none, 1, t);
      while (admitted.length > 0 && (admitted[0] as number) <= t - 1000) admitted.shift();
      const counted = t >= 60_000; // after the first minute of learning
      if (admitted.length >= 8) {
        if (counted) refused++;
        pacerRateLimited(p, none, t, t + 1, 1000);
      } else {
        admitted.push(t);
        if (counted) ok++;
        pacerSuccess(p, none, t);
      }
    }
    // climbing fast all the way (as with a configured rate) uses 66% of the cap; probing slowly near the
    // best answer rate seen, 91%
    expect(ok / 240).toBeGreaterThan(0.88 * 8);
    expect(refused / (ok + refused)).toBeLessThan(0.01);
  });

  it('tokens per minute: the share of the budget, until enough of the window expires', () => {
    const p = newPacer();
    const limits: Limits = { tokensPerMinute: 2000, workers: 2 };
    expect(pacerWait(p, limits, 500, 0)).toBe(0);
    pacerTake(p, limits, 800, 0);
    expect(pacerWait(p, limits, 200, 1000)).toBe(0);
    // 800 + 500 > 1000 (half of 2000): wait until the 800 leave the minute
    expect(pacerWait(p, limits, 500, 1000)).toBe(59_000);
    expect(pacerWait(p, limits, 500, 60_000)).toBe(0);
    // a request bigger than the share goes once the minute is empty, instead of never
    pacerTake(p, limits, 10, 60_000);
    expect(pacerWait(p, limits, 5000, 61_000)).toBe(59_000);
    expect(pacerWait(p, limits, 5000, 120_000)).toBe(0);
  });

  it('honours x-ratelimit headers that say the budget is spent', () => {
    const p = newPacer();
    const limits: Limits = { workers: 1 };
    pacerHeaders(p, { 'x-ratelimit-remaining-tokens': '100', 'x-ratelimit-reset-tokens': '2s' }, 50, 0);
    expect(pacerWait(p, limits, 1, 0)).toBe(0);
    pacerHeaders(p, { 'x-ratelimit-remaining-tokens': '100', 'x-ratelimit-reset-tokens': '2s' }, 500, 0);
    expect(pacerWait(p, limits, 1, 0)).toBe(2000);
    pacerHeaders(p, { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '6s' }, 1, 1000);
    expect(pacerWait(p, limits, 1, 1000)).toBe(6000);
  });
});

describe('live workers of a queue', () => {
  it('counts distinct identities that polled within the live window, at least one', () => {
    const now = 1_000_000;
    expect(livePollers([], now)).toBe(1);
    expect(
      livePollers(
        [
          { identity: '1@a', lastAccess: now - 1000 },
          { identity: '1@a', lastAccess: now - 500 },
          { identity: '2@a', lastAccess: now - 30_000 },
          { identity: '3@b', lastAccess: now - 200_000 }, // gone: its last poll is long past
        ],
        now,
      ),
    ).toBe(2);
  });
});

describe('the fake provider’s cap (what the rate-limit e2e test and the quota bench run against)', () => {
  it('refuses what exceeds capPerSecond within 1 s, with Retry-After, and admits again after', async () => {
    const server = await startFakeOpenAI({ capPerSecond: 2 });
    try {
      const ask = (): Promise<Response> =>
        fetch(`${server.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
        });
      const first = await Promise.all([ask(), ask(), ask(), ask(), ask()]);
      const refused = first.filter((r) => r.status === 429);
      expect(refused).toHaveLength(3);
      expect(refused[0]?.headers.get('retry-after')).toBe('1');
      await new Promise((r) => setTimeout(r, 1100));
      expect((await ask()).status).not.toBe(429);
      expect(server.log.filter((e) => e.outcome === '429')).toHaveLength(3);
    } finally {
      await server.close();
    }
  });
});
