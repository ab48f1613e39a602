import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { nonRetryableOn, UNEXPECTED_ERROR_ATTEMPTS } from '../../src/activities/errors';

/**
 * The cap on unexpected errors counts the attempts that failed unexpectedly, not the 429s, 5xx and timeouts
 * between them (issue 25 item 7: ten transient faults then one unexpected error had given up at attempt 11).
 * Each attempt runs in its own mocked activity context whose heartbeat details are what the previous attempt's
 * failure left, as the Temporal server hands them on (test/e2e/unexpected-errors.e2e.test.ts checks the server).
 */
type Outcome = 'transient' | 'unexpected' | 'ok';

const noop = (): void => undefined;
const quiet = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };

const transient = (): never => {
  throw ApplicationFailure.create({ message: 'p 429 error: slow down', type: 'LlmRateLimited' });
};

/** Runs `outcomes`, one attempt each, carrying heartbeat details; returns what each attempt threw or 'ok'. */
async function attempts(outcomes: Outcome[], isLocal = false): Promise<unknown[]> {
  let details: unknown;
  const out: unknown[] = [];
  for (const [i, o] of outcomes.entries()) {
    const env = new MockActivityEnvironment(
      { attempt: i + 1, heartbeatDetails: details, isLocal },
      { logger: quiet },
    );
    env.on('heartbeat', (d: unknown) => (details = d));
    try {
      await env.run(() =>
        nonRetryableOn(async () => {
          if (o === 'transient') transient();
          if (o === 'unexpected') throw new SyntaxError('Unterminated string in JSON at position 812');
          return 'ok';
        }),
      );
      out.push('ok');
    } catch (e) {
      out.push(e);
    }
  }
  return out;
}

const gaveUp = (e: unknown): boolean => e instanceof ApplicationFailure && e.type === 'UnexpectedError';

it('ten transient faults then an unexpected error: retried, not given up', async () => {
  const out = await attempts([...Array<Outcome>(10).fill('transient'), 'unexpected', 'ok']);
  expect(out.slice(0, 10).every((e) => e instanceof ApplicationFailure && e.type === 'LlmRateLimited')).toBe(
    true,
  );
  expect(out[10]).toBeInstanceOf(SyntaxError);
  expect(out[11]).toBe('ok');
});

it(`gives up at the ${UNEXPECTED_ERROR_ATTEMPTS}th unexpected failure, whatever came between`, async () => {
  // unexpected and transient failures alternate: 19 attempts hold 10 unexpected ones
  const outcomes = Array.from({ length: 19 }, (_, i): Outcome => (i % 2 === 0 ? 'unexpected' : 'transient'));
  const out = await attempts(outcomes);
  expect(out.slice(0, 18).some(gaveUp)).toBe(false);
  const last = out[18] as ApplicationFailure;
  expect(gaveUp(last)).toBe(true);
  expect(last.nonRetryable).toBe(true);
  expect(last.message).toBe(
    'Unterminated string in JSON at position 812 (gave up after 10 unexpected failures in 19 attempts)',
  );
});

it('ten unexpected failures in a row give up with the plain count', async () => {
  const out = await attempts(Array<Outcome>(10).fill('unexpected'));
  expect((out[9] as ApplicationFailure).message).toMatch(/\(gave up after 10 unexpected failures\)$/);
  expect(out.slice(0, 9).some(gaveUp)).toBe(false);
});

it('a local activity (no heartbeats) counts its attempts', async () => {
  const out = await attempts(Array<Outcome>(10).fill('unexpected'), true);
  expect(gaveUp(out[9])).toBe(true);
  expect(out.slice(0, 9).some(gaveUp)).toBe(false);
});
