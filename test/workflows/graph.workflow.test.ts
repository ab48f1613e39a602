import { retryWaiting } from '../../src/client';
import { buildGraph } from '../../src/workflows/build-graph';
import { synthesisRun } from '../../src/workflows/run';
import { until } from '../helpers/cli';
import { withTimeSkippingEnv } from '../helpers/time-skipping';
import { mockedWorker, OFFLINE_ROLES, runInput, type MockLog } from './mock-activities';
import { conversationStatusQuery, progressQuery } from '../../src/contracts';

/**
 * The graph phase follows the rules of turns: a judge request that fails for good waits for `magnet retry`
 * while the other requests go on, and the run waits with it instead of failing.
 */
const ts = withTimeSkippingEnv();

const judged = (log: MockLog, wf: string): string[] =>
  log.calls.filter((c) => c.startsWith(`${wf}:judge:`)).map((c) => c.slice(wf.length + 1));

it('a failed judge request waits for a retry while the others go on, then the graph completes', async () => {
  const id = 'g1/graph';
  const log: MockLog = { calls: [], failures: new Map([[`${id}:judge:0`, 1]]) };
  const taskQueue = 'graph-waits';
  const worker = await mockedWorker(ts.env, taskQueue, log);
  await worker.runUntil(async () => {
    const handle = await ts.env.client.workflow.start(buildGraph, {
      taskQueue,
      workflowId: id,
      args: [
        {
          storeDir: '/store',
          poolRef: 'pool',
          config: runInput(taskQueue, 'g1', 1, 0).config.graphBuild,
          outDir: '/out',
          chunk: 1,
          parallel: 2,
          judge: OFFLINE_ROLES.dependency_judge,
          taskQueue,
        },
      ],
    });
    const status = await until('the graph waiting', async () => {
      const s = await handle.query(conversationStatusQuery);
      return s.waiting ? s : undefined;
    });
    expect(status).toMatchObject({
      stage: 'graph',
      waiting: true,
      failure: { type: 'LlmInvalidOutput', where: 'graph · dependency judge, function 1 of 2' },
    });
    // the other request was not held up by the failed one
    expect(judged(log, id).sort()).toEqual(['judge:0', 'judge:1']);
    // overrides are checked against the graph's one role
    const bad = await handle
      .executeUpdate('retryTurn', { args: [{ set: { 'teacher.model': 'm2' } }] })
      .catch((e: unknown) => e);
    expect(String((bad as Error).cause ?? bad)).toContain('unknown role "teacher"');
    const accepted = await handle.executeUpdate('retryTurn', { args: [{}] });
    expect(accepted).toMatchObject({ id, stage: 'graph', failure: { type: 'LlmInvalidOutput' } });
    const graph = await handle.result();
    // two answers used; the failed attempt's paid requests count in the usage its failure reported
    expect(graph).toMatchObject({ graphRef: 'graph', judgeRequests: 2, usage: { requests: 2 + 2 } });
    expect(judged(log, id).sort()).toEqual(['judge:0', 'judge:0', 'judge:1']);
  });
});

it('a run whose graph waits counts it as waiting, and `magnet retry` lets it go on', async () => {
  const runId = 'g2';
  const log: MockLog = { calls: [], failures: new Map([[`${runId}/graph:judge:0`, 1]]) };
  const taskQueue = 'graph-waits-run';
  const worker = await mockedWorker(ts.env, taskQueue, log);
  await worker.runUntil(async () => {
    const handle = await ts.env.client.workflow.start(synthesisRun, {
      taskQueue,
      workflowId: runId,
      args: [runInput(taskQueue, runId, 2, 0)],
    });
    const progress = await until('the run waiting in the graph phase', async () => {
      const p = await handle.query(progressQuery);
      return p.waiting === 1 ? p : undefined;
    });
    expect(progress).toMatchObject({ phase: 'graph', waiting: 1, failed: 0 });
    // by name: the Java test server has no workflow listing (the run's own search is covered in e2e)
    const outcomes = await retryWaiting(ts.env.client, runId, { conversation: 'graph', set: {} });
    expect(outcomes).toEqual([
      expect.objectContaining({
        id: `${runId}/graph`,
        outcome: 'accepted',
        step: expect.objectContaining({ stage: 'graph' }),
      }),
    ]);
    const summary = await handle.result();
    expect(summary).toMatchObject({ failed: 0 });
    expect((await handle.query(progressQuery).catch(() => undefined))?.waiting ?? 0).toBe(0);
  });
});

it('the offline judge gets chunks sized to the pool: 1,000 functions in 32 activities, not 40', async () => {
  const log: MockLog = { calls: [], failures: new Map() };
  const taskQueue = 'graph-offline-chunks';
  const worker = await mockedWorker(ts.env, taskQueue, log, {
    selectCandidatesActivity: async () => ({ candidatesRef: 'cands', functions: 1000 }),
  });
  const id = 'g3/graph';
  await worker.runUntil(
    ts.env.client.workflow.execute(buildGraph, {
      taskQueue,
      workflowId: id,
      args: [
        {
          storeDir: '/store',
          poolRef: 'pool',
          config: runInput(taskQueue, 'g3', 1, 0).config.graphBuild,
          outDir: '/out',
          judge: OFFLINE_ROLES.dependency_judge,
          taskQueue,
        },
      ],
    }),
  );
  const starts = judged(log, id).map((c) => Number(c.slice('judge:'.length)));
  expect(starts.sort((a, b) => a - b)).toEqual(Array.from({ length: 32 }, (_, i) => i * 32));
});
