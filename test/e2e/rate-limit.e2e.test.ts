import os from 'node:os';
import { NativeConnection } from '@temporalio/worker';
import { describePollers, fleetCounter } from '../../src/llm/fleet';
import { until } from '../helpers/cli';
import { makeRunDir, prepare, readRecords, startRun } from '../helpers/run';
import { temporalAddress, withClientAndFakeOpenAI } from '../helpers/temporal';

/**
 * A provider that refuses (429 + Retry-After) whatever exceeds 2 requests in any 1-s window, and a run
 * configured with `requestsPerSecond: 2`: requests, not activities, are paced, so the run completes and
 * hardly a request is refused. Paced by activity (the previous release), 21 of 57 requests got a 429 here.
 */
process.env.MAGNET_FAKE_KEY = 'sk-rate-limit';
const ctx = withClientAndFakeOpenAI({ capPerSecond: 2, latencyMs: 100 });

it('paces requests to the configured rate: the run completes with almost no 429', async () => {
  const { client, server } = ctx;
  const { home, configFile } = makeRunDir({
    seed: 21,
    conversations: 3,
    llm: {
      providers: {
        fake: {
          kind: 'openai',
          baseURL: `${server.url}/v1`,
          apiKeyEnv: 'MAGNET_FAKE_KEY',
          requestsPerSecond: 2,
          timeoutMs: 10_000,
        },
      },
      default: { provider: 'fake', model: 'teacher-1' },
      // the graph's judge (a request per function) offline, to keep the test short; the repair requests of
      // completeJson and the plan's nested judge (several requests in one activity) stay on the provider
      roles: { dependency_judge: { provider: 'offline' } },
    },
  });
  const input = await prepare(home, configFile, `rate-${Date.now()}`);
  // no concurrency in the config: derived from the rate (2 req/s × 10 s)
  expect(input.config.concurrency.conversations).toBe(20);
  const run = await startRun(client, input);
  try {
    // the worker of this process is a live poller of the provider's queue, as DescribeTaskQueue reports it
    const connection = await NativeConnection.connect({ address: temporalAddress() });
    try {
      const describe = describePollers(connection, client.options.namespace, `${input.taskQueue}-llm-fake`);
      const me = `${process.pid}@${os.hostname()}`;
      await until('this worker among the pollers', async () =>
        (await describe()).some((p) => p.identity === me) ? true : undefined,
      );
      const fleet = fleetCounter(describe);
      await fleet.refresh();
      expect(fleet.size(Date.now())).toBe(1);
    } finally {
      await connection.close();
    }
    await run.running;
    const summary = await run.done;
    expect(summary.failed).toBe(0);
    expect(summary.conversations).toBe(3);
  } finally {
    await run.stop();
  }
  await readRecords(input);
  const refused = server.log.filter((e) => e.outcome === '429').length;
  expect(server.log.length).toBeGreaterThan(20);
  expect(refused / server.log.length).toBeLessThan(0.05);
  // the nested judge and repairs ran on the provider: more than one request per activity was paced
  expect(new Set(server.log.map((e) => e.role))).toContain('nested_judge');
}, 120_000);
