import { synthesisRun } from '../../src/workflows/run';
import { until } from '../helpers/cli';
import { withTimeSkippingEnv } from '../helpers/time-skipping';
import { mockedWorker, runInput, type MockLog } from './mock-activities';
import { conversationStatusQuery, retryTurnUpdate, type RunSummary } from '../../src/contracts';

/**
 * The run's hand-over of waiting conversations at continue-as-new, with mocked activities on the test
 * server: a conversation waiting for a retry must not hold up the run, and its end must still be counted
 * when it comes in a later execution of the run, retried or given up.
 */
const ts = withTimeSkippingEnv();

/** Runs 4 conversations, continuing as new after each start; conversations 0 and 2 fail at turn 2. */
async function handOverRun(
  runId: string,
  waitSeconds: number,
  whileWaiting: (log: MockLog) => Promise<void>,
): Promise<{ summary: RunSummary; executions: number; log: MockLog }> {
  const log: MockLog = {
    calls: [],
    failures: new Map([
      [`${runId}/conv-00000:forth:1`, 1],
      [`${runId}/conv-00002:forth:1`, 1],
    ]),
  };
  const taskQueue = `tq-${runId}`;
  const worker = await mockedWorker(ts.env, taskQueue, log);
  return worker.runUntil(async () => {
    const handle = await ts.env.client.workflow.start(synthesisRun, {
      taskQueue,
      workflowId: runId,
      args: [runInput(taskQueue, runId, 4, waitSeconds), undefined, 1],
    });
    await whileWaiting(log);
    const summary = await handle.result();
    let executions = 1;
    let events = (await ts.env.client.workflow.getHandle(runId, handle.firstExecutionRunId).fetchHistory())
      .events;
    for (;;) {
      const next = events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
      if (!next) break;
      events = (await ts.env.client.workflow.getHandle(runId, next).fetchHistory()).events;
      executions++;
    }
    return { summary, executions, log };
  });
}

const writers = (log: MockLog): string[] =>
  log.calls
    .filter((c) => c.includes(':write:'))
    .map((c) => c.split(':')[0] as string)
    .sort();

describe('run: waiting conversations at continue-as-new', () => {
  it('are handed over without holding up the run, and counted when retried in a later execution', async () => {
    const runId = 'handover-retry';
    const { summary, executions, log } = await handOverRun(runId, 3 * 24 * 3600, async (running) => {
      // the other conversations finish while two wait: the run is not held up by them. (Asked of the
      // conversations: the Java test server may leave a query to a run that continued as new unanswered;
      // the run's own count of waiting conversations is checked on a real server, in replay.e2e.)
      await until('two waiting, two written', async () => {
        const waiting = [];
        for (const i of [0, 2]) {
          const s = await ts.env.client.workflow
            .getHandle(`${runId}/conv-0000${i}`)
            .query(conversationStatusQuery);
          if (s.waiting && s.failure?.stage === 'forth-translate') waiting.push(i);
        }
        return waiting.length === 2 && writers(running).length === 2 ? true : undefined;
      });
      for (const i of [0, 2]) {
        const accepted = await ts.env.client.workflow
          .getHandle(`${runId}/conv-0000${i}`)
          .executeUpdate(retryTurnUpdate, { args: [{}] });
        expect(accepted).toMatchObject({ turn: 1, stage: 'forth-translate' });
      }
    });
    // a continue-as-new after each of the 4 starts
    expect(executions).toBe(4);
    expect(summary.failed).toBe(0);
    // usage reported across executions: 2 back-, 2 forth-translations, 2 distills per conversation, the
    // graph's judge request, and the answer and repair paid by each of the two failed attempts
    expect(summary.usage.requests).toBe(4 * 6 + 1 + 2 * 2);
    expect(writers(log)).toEqual([0, 1, 2, 3].map((i) => `${runId}/conv-0000${i}`));
  });

  it('are handed over and counted as failed when their wait runs out in a later execution', async () => {
    const runId = 'handover-give-up';
    // A wait in real seconds, long enough that the waits run out after the run has started everything: the
    // test server (unlike a real one) may drop a signal that lands while a run is continuing as new.
    const { summary, executions, log } = await handOverRun(runId, 8, async (running) => {
      await until('the others written', async () => (writers(running).length === 2 ? true : undefined));
    });
    expect(executions).toBe(4);
    expect(summary.failed).toBe(2);
    expect(summary.failures).toEqual({ LlmInvalidOutput: 2 });
    expect(writers(log)).toEqual([`${runId}/conv-00001`, `${runId}/conv-00003`]);
  });
});
