import { synthesisRun } from '../../src/workflows/run';
import { until } from '../helpers/cli';
import { withTimeSkippingEnv } from '../helpers/time-skipping';
import { mockedWorker, runInput, type MockLog } from './mock-activities';
import { conversationStatusQuery, progressQuery, stopSignal, type RunSummary } from '../../src/contracts';

/**
 * `magnet stop` ends a run gracefully, unlike cancel: no conversation starts after it, the running ones
 * finish and are exported, and one waiting for a retry does not hold the export up.
 */
const ts = withTimeSkippingEnv();

const written = (log: MockLog): string[] =>
  log.calls
    .filter((c) => c.includes(':write:'))
    .map((c) => c.split(':')[0] as string)
    .sort();

it('no new conversations after stop; the running ones finish; a waiting one is left waiting', async () => {
  const runId = 'stop-run';
  let open: () => void = () => undefined;
  const log: MockLog = {
    calls: [],
    // conversation 1 fails at turn 2 and waits (3 days) for a retry
    failures: new Map([[`${runId}/conv-00001:forth:1`, 1]]),
    planGate: new Promise<void>((resolve) => (open = resolve)),
  };
  const taskQueue = `tq-${runId}`;
  const worker = await mockedWorker(ts.env, taskQueue, log);
  await worker.runUntil(async () => {
    const handle = await ts.env.client.workflow.start(synthesisRun, {
      taskQueue,
      workflowId: runId,
      args: [runInput(taskQueue, runId, 6, 3 * 24 * 3600)],
    });
    // two conversations in flight (concurrency 2), both held in their plan step
    await until('two conversations started', async () => {
      const p = await handle.query(progressQuery);
      return p.inFlight === 2 ? p : undefined;
    });
    await handle.signal(stopSignal);
    expect(await handle.query(progressQuery)).toMatchObject({ stopping: true, started: 2 });
    // Conversation 0's steps are local activities, which do not hold the test server's clock as normal ones do:
    // with time skipping on, conversation 1's 3-day wait would run out while the run finishes. Time stands
    // still from here, and the run's end is polled for instead of awaited (awaiting a result skips time).
    await ts.env.connection.testService?.lockTimeSkipping({});
    open();
    await until('the run to end', async () =>
      (await handle.describe()).status.name === 'COMPLETED' ? true : undefined,
    );
    const summary = (await handle.query(progressQuery)).summary as RunSummary;
    expect(summary.stopped).toEqual({ notStarted: 4, waiting: 1 });
    // conversation 0 finished and was written; 1 waits for a retry; none of 2-5 ever started
    expect(written(log)).toEqual([`${runId}/conv-00000`]);
    expect(log.calls.some((c) => /conv-0000[2-5]/.test(c))).toBe(false);
    const waiting = await ts.env.client.workflow
      .getHandle(`${runId}/conv-00001`)
      .query(conversationStatusQuery);
    expect(waiting).toMatchObject({ waiting: true, stage: 'forth-translate' });
    await ts.env.client.workflow.getHandle(`${runId}/conv-00001`).terminate('test over');
  });
});
