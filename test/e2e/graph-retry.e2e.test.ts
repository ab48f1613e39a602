import { retryWaiting, runStatus } from '../../src/client';
import { stableStringify } from '../../src/io/files';
import { fakeLlm, makeRunDir, prepare, readRecords, startRun } from '../helpers/run';
import { until } from '../helpers/cli';
import { withClientAndFakeOpenAI } from '../helpers/temporal';

/**
 * A graph-phase request the provider refuses for good (HTTP 400) no longer fails the run: the graph waits
 * for `magnet retry` while its other requests go on, `magnet status` lists it, and after the retry the run
 * completes, paying no answered request twice.
 */
process.env.MAGNET_FAKE_KEY = 'sk-graph-retry';
const ctx = withClientAndFakeOpenAI();

it('a refused judge request waits for magnet retry, then the run completes', async () => {
  const { client, server } = ctx;
  const { home, configFile } = makeRunDir({
    seed: 21,
    conversations: 3,
    llm: fakeLlm(server),
  });
  const input = await prepare(home, configFile, `graph-retry-${Date.now()}`);
  // the first function the judge is asked about is refused until the test lets it through
  let refused: string | undefined;
  let broken = true;
  server.setScript((req) => {
    if (req.role !== 'dependency_judge' || !broken) return undefined;
    const which = stableStringify(req.input);
    refused ??= which;
    return which === refused
      ? { status: 400, body: { error: { message: 'context too long', type: 'invalid_request_error' } } }
      : undefined;
  });
  const run = await startRun(client, input);
  try {
    const status = await until('the graph waiting for a retry', async () => {
      const s = await runStatus(client, input.runId);
      return s.waiting.length > 0 ? s : undefined;
    });
    expect(status).toMatchObject({ status: 'RUNNING', phase: 'graph' });
    expect(status.waiting).toEqual([
      {
        id: `${input.runId}/graph`,
        failure: expect.objectContaining({ stage: 'graph', type: 'LlmRejected' }) as unknown,
      },
    ]);
    // the other judge requests went on meanwhile
    const judged = new Set(
      server.log.filter((e) => e.role === 'dependency_judge' && e.outcome === 'ok').map((e) => e.bodyHash),
    );
    expect(judged.size).toBeGreaterThan(5);

    broken = false;
    const outcomes = await retryWaiting(client, input.runId, { set: {} });
    expect(outcomes).toEqual([expect.objectContaining({ id: `${input.runId}/graph`, outcome: 'accepted' })]);
    const summary = await run.done;
    expect(summary).toMatchObject({ conversations: 3, failed: 0 });
    await readRecords(input);
    // no answered request was sent again
    const ok = server.log.filter((e) => e.outcome === 'ok').map((e) => e.bodyHash);
    expect(ok.length).toBe(new Set(ok).size);
  } finally {
    await run.handle.terminate().catch(() => undefined);
    await run.stop();
  }
}, 300_000);
