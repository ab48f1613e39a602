import { fakeLlm, makeRunDir, prepare, readRecords, runToEnd } from '../helpers/run';
import { withClientAndFakeOpenAI } from '../helpers/temporal';

/**
 * A provider as flaky as real ones get, from the very first request (graph phase and plan step included):
 * 20% 429, 15% 500, 5% truncated answers, 2% hangs, 2% connection resets. Nothing may fail: each request is
 * retried on its own until the provider's retry deadline, and no answer that was received whole is paid again.
 */
process.env.MAGNET_FAKE_KEY = 'sk-faults';
const ctx = withClientAndFakeOpenAI({
  faults: {
    rate429: 0.2,
    rate500: 0.15,
    rateMalformed: 0.05,
    rateHang: 0.02,
    rateReset: 0.02,
    retryAfterSeconds: 1,
    seed: 9,
  },
});

it('completes every conversation, graph and plans included, paying each whole answer once', async () => {
  const { client, server } = ctx;
  const { home, configFile } = makeRunDir({
    seed: 13,
    conversations: 6,
    concurrency: { conversations: 6 },
    // every role on the flaky provider: the dependency judge (graph) and the nested judge (plan) too
    llm: fakeLlm(server, { provider: { timeoutMs: 3000 }, model: 'teacher-1' }),
  });
  const input = await prepare(home, configFile, `faults-${Date.now()}`);
  const summary = await runToEnd(client, input);
  expect(summary.failed).toBe(0);
  expect(summary.conversations).toBe(6);
  await readRecords(input);
  const outcomes = new Set(server.log.map((e) => e.outcome));
  for (const o of ['429', '500', 'malformed', 'hang', 'reset', 'ok']) expect(outcomes).toContain(o);
  const roles = new Set(server.log.filter((e) => e.outcome !== 'ok').map((e) => e.role));
  // faults hit the graph phase and the plan step, not only turns
  expect(roles).toContain('dependency_judge');
  expect(roles).toContain('nested_judge');
  // a request answered whole and valid is never sent again (cache + one request per step); a truncated
  // answer is not reused outside the step that got it, so another step may ask again
  const byHash = new Map<string, typeof server.log>();
  for (const e of server.log) byHash.set(e.bodyHash, [...(byHash.get(e.bodyHash) ?? []), e]);
  for (const [, entries] of byHash) {
    const firstOk = entries.findIndex((e) => e.outcome === 'ok');
    if (firstOk >= 0) expect(entries.slice(firstOk + 1)).toEqual([]);
  }
}, 600_000);
