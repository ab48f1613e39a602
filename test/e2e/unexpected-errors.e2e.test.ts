import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import { WorkflowFailedError } from '@temporalio/client';
import { nonRetryableOn } from '../../src/activities/errors';
import { bundleOf, connect, temporalAddress } from '../helpers/temporal';

/**
 * The count of unexpected failures travels from attempt to attempt through the real server (the last heartbeat
 * details a failed attempt sends are the next attempt's `heartbeatDetails`), so the cap for unexpected errors
 * counts only those, not the transient faults between them (issue 25 item 7).
 */
async function scripted(outcomes: string[]): Promise<number> {
  const { attempt } = Context.current().info;
  return nonRetryableOn(async () => {
    const o = outcomes[attempt - 1] ?? 'ok';
    if (o === 'transient') throw ApplicationFailure.create({ message: '429', type: 'LlmRateLimited' });
    if (o === 'unexpected') throw new Error(`unexpected at attempt ${attempt}`);
    return attempt;
  });
}

async function run(id: string, outcomes: string[]): Promise<unknown> {
  // bundled first: that installs the quiet runtime before a connection creates the default one
  const workflowBundle = await bundleOf(require.resolve('./fixtures/attempts-workflow'));
  const client = await connect();
  const connection = await NativeConnection.connect({ address: temporalAddress() });
  const taskQueue = `unexpected-${id}-${Date.now()}`;
  const worker = await Worker.create({
    connection,
    taskQueue,
    activities: { scripted },
    workflowBundle,
  });
  try {
    return await worker.runUntil(
      client.workflow
        .execute('attempts', { taskQueue, workflowId: `${taskQueue}`, args: [outcomes] })
        .catch((e: unknown) => e),
    );
  } finally {
    await connection.close();
    await client.connection.close();
  }
}

it('ten transient faults, then unexpected errors between more of them: the step goes on', async () => {
  // 10 transient, then 9 unexpected failures each followed by a transient one: 28 failed attempts, 9 unexpected
  const outcomes = [
    ...Array<string>(10).fill('transient'),
    ...Array.from({ length: 9 }, () => ['unexpected', 'transient']).flat(),
  ];
  expect(await run('goes-on', outcomes)).toBe(outcomes.length + 1);
}, 120_000);

it('the tenth unexpected failure gives up, however many transient ones came between', async () => {
  const outcomes = [
    ...Array<string>(10).fill('transient'),
    ...Array.from({ length: 10 }, () => ['unexpected', 'transient']).flat(),
  ];
  const e = await run('gives-up', outcomes);
  expect(e).toBeInstanceOf(WorkflowFailedError);
  const cause = ((e as WorkflowFailedError).cause as { cause?: ApplicationFailure }).cause;
  expect(cause).toMatchObject({ type: 'UnexpectedError' });
  expect(cause?.message).toBe(
    'unexpected at attempt 29 (gave up after 10 unexpected failures in 29 attempts)',
  );
}, 120_000);
