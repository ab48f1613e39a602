import { WorkflowUpdateFailedError } from '@temporalio/client';
import { conversation } from '../../src/workflows/conversation';
import { until } from '../helpers/cli';
import { withTimeSkippingEnv } from '../helpers/time-skipping';
import { conversationInput, mockedWorker, type MockLog } from './mock-activities';
import { conversationStatusQuery, retryTurnUpdate, type ConversationStatus } from '../../src/contracts';

/**
 * The conversation's failure handling with the activities mocked, on a time-skipping test server: a step that
 * fails for good waits for `retryTurn`, the retry re-runs just that step, and a wait of days runs out.
 */
const ts = withTimeSkippingEnv();

let n = 0;
async function withWorker<T>(log: MockLog, fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = `conv-${++n}`;
  const worker = await mockedWorker(ts.env, taskQueue, log);
  return worker.runUntil(fn(taskQueue));
}

/** Polls a query until it says what we wait for (time does not skip while the test only queries). */
function waitFor(id: string, ok: (s: ConversationStatus) => boolean): Promise<ConversationStatus> {
  return until(id, async () => {
    const s = await ts.env.client.workflow.getHandle(id).query(conversationStatusQuery);
    return ok(s) ? s : undefined;
  });
}

async function updateError(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(WorkflowUpdateFailedError);
  return ((e as WorkflowUpdateFailedError).cause as Error).message;
}

describe('conversation: failed steps wait for a retry', () => {
  it('rejects a retry while nothing failed, then re-runs exactly the failed step when asked', async () => {
    let open!: () => void;
    const log: MockLog = {
      calls: [],
      failures: new Map([['forth:1', 1]]),
      planGate: new Promise<void>((r) => (open = r)),
    };
    const result = await withWorker(log, async (taskQueue) => {
      const input = conversationInput(taskQueue, { id: 'c1' });
      const handle = await ts.env.client.workflow.start(conversation, {
        taskQueue,
        workflowId: input.id,
        args: [input],
      });
      await waitFor(input.id, (s) => s.stage === 'plan');
      expect(await updateError(handle.executeUpdate(retryTurnUpdate, { args: [{}] }))).toContain(
        'c1 is not waiting for a retry (stage plan)',
      );
      open();
      const waiting = await waitFor(input.id, (s) => s.waiting);
      expect(waiting.failure).toMatchObject({
        turn: 1,
        stage: 'forth-translate',
        type: 'LlmInvalidOutput',
        raw: 'no JSON here',
        where: 'turn 2/2 · forth-translate',
      });
      // a typo in an override is refused before anything runs again
      expect(
        await updateError(
          handle.executeUpdate(retryTurnUpdate, { args: [{ set: { 'teachr.model': 'x' } }] }),
        ),
      ).toContain('unknown role "teachr"');
      expect(
        await updateError(
          handle.executeUpdate(retryTurnUpdate, { args: [{ set: { 'teacher.temperature': 'hot' } }] }),
        ),
      ).toContain('temperature must be a number');
      expect(log.calls.filter((c) => c.endsWith('forth:1'))).toHaveLength(1);
      const accepted = await handle.executeUpdate(retryTurnUpdate, {
        args: [{ set: { 'forth_translate.model': 'm2' } }],
      });
      expect(accepted).toMatchObject({ id: 'c1', turn: 1, stage: 'forth-translate' });
      return handle.result();
    });
    expect(result).toMatchObject({ status: 'completed', turns: 2, retried: 1 });
    // only the failed step ran again: turn 2's back-translation and everything of turn 1 ran once
    expect(log.calls.map((c) => c.replace('c1:', ''))).toEqual([
      'plan:0',
      'back:0',
      'forth:0',
      'execute:0',
      'back:1',
      'forth:1',
      'forth:1',
      'execute:1',
      'distill:0',
      'distill:1',
      'write:0',
    ]);
  });

  it('gives up when nobody retries within the wait (days pass in the test server)', async () => {
    const log: MockLog = { calls: [], failures: new Map([['distill:0', 1]]) };
    const before = await ts.env.currentTimeMs();
    const result = await withWorker(log, async (taskQueue) => {
      const input = conversationInput(taskQueue, { id: 'c2', failedTurnWaitMs: 3 * 24 * 3600 * 1000 });
      return ts.env.client.workflow.execute(conversation, { taskQueue, workflowId: input.id, args: [input] });
    });
    const waited = (await ts.env.currentTimeMs()) - before;
    expect(waited).toBeGreaterThanOrEqual(3 * 24 * 3600 * 1000);
    expect(result).toMatchObject({
      status: 'failed',
      retried: 0,
      failure: { turn: 0, stage: 'distill', type: 'LlmInvalidOutput', where: 'turn 1/2 · distill' },
    });
    expect(log.calls.some((c) => c.includes('write'))).toBe(false);
  });

  it('with no wait configured, a failed step ends the conversation at once', async () => {
    const log: MockLog = { calls: [], failures: new Map([['plan:0', 1]]) };
    const result = await withWorker(log, async (taskQueue) => {
      const input = conversationInput(taskQueue, { id: 'c3', failedTurnWaitMs: 0 });
      return ts.env.client.workflow.execute(conversation, { taskQueue, workflowId: input.id, args: [input] });
    });
    expect(result).toMatchObject({ status: 'failed', failure: { stage: 'plan', turn: 0 } });
    expect(log.calls).toEqual(['c3:plan:0']);
  });
});
