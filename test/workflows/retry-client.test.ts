import { Worker } from '@temporalio/worker';
import { retryWaiting } from '../../src/client';
import { conversation } from '../../src/workflows/conversation';
import { bundleOf } from '../helpers/temporal';
import { until } from '../helpers/cli';
import { withTimeSkippingEnv } from '../helpers/time-skipping';
import { conversationInput, mockedWorker, type MockLog } from './mock-activities';
import { conversationStatusQuery, type ConversationStatus } from '../../src/contracts';

/**
 * `magnet retry`'s client side against real conversations: the update's outcome reaches the caller (accepted
 * with the step, or rejected with the validator's reason), and a conversation of the first release, which has
 * no update handler, still gets its retry as the old signal.
 */
const ts = withTimeSkippingEnv();

async function waiting(id: string): Promise<void> {
  const query = (): Promise<ConversationStatus> =>
    ts.env.client.workflow.getHandle(id).query(conversationStatusQuery);
  await until(`${id} waiting`, async () => ((await query()).waiting ? true : undefined));
}

it('reports accepted and rejected retries of the current release', async () => {
  const log: MockLog = { calls: [], failures: new Map([['forth:1', 1]]) };
  const taskQueue = 'retry-client';
  const worker = await mockedWorker(ts.env, taskQueue, log);
  await worker.runUntil(async () => {
    const input = conversationInput(taskQueue, { runId: 'r1', id: 'r1/conv-00000' });
    const handle = await ts.env.client.workflow.start(conversation, {
      taskQueue,
      workflowId: input.id,
      args: [input],
    });
    await waiting(input.id);
    const [bad] = await retryWaiting(ts.env.client, 'r1', {
      conversation: 'conv-00000',
      set: { 'teacher.maxTokens': '-3' },
    });
    expect(bad).toMatchObject({ id: input.id, outcome: 'rejected' });
    expect(bad?.outcome === 'rejected' && bad.reason).toContain('maxTokens must be a positive integer');
    const [ok] = await retryWaiting(ts.env.client, 'r1', { conversation: 'conv-00000', set: {} });
    expect(ok).toMatchObject({
      id: input.id,
      outcome: 'accepted',
      step: { turn: 1, stage: 'forth-translate' },
    });
    expect(await handle.result()).toMatchObject({ status: 'completed', retried: 1 });
    // the conversation has ended: a retry now is rejected with the reason, not lost
    const [late] = await retryWaiting(ts.env.client, 'r1', { conversation: 'conv-00000', set: {} });
    expect(late?.outcome).toBe('rejected');
  });
});

it('sends the old signal to a conversation of the first release', async () => {
  const taskQueue = 'retry-client-v1';
  const worker = await Worker.create({
    connection: ts.env.nativeConnection,
    taskQueue,
    workflowBundle: await bundleOf(require.resolve('./fixtures/first-release-conversation')),
  });
  await worker.runUntil(async () => {
    const id = 'r2/conv-00000';
    const handle = await ts.env.client.workflow.start('conversation', { taskQueue, workflowId: id });
    await waiting(id);
    const [sent] = await retryWaiting(ts.env.client, 'r2', {
      conversation: 'conv-00000',
      set: { 'forth_translate.model': 'm2' },
    });
    expect(sent).toMatchObject({ id, outcome: 'signalled', failure: { turn: 1, stage: 'forth-translate' } });
    expect(await handle.result()).toEqual({ set: { 'forth_translate.model': 'm2' } });
  });
});
