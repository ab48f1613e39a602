import type { Client } from '@temporalio/client';
import { WorkflowFailedError } from '@temporalio/client';
import { makeRunDir, prepare, startRun } from '../helpers/run';
import { connect, temporalAddress, workflowBundle } from '../helpers/temporal';
import { magnetCli } from '../helpers/cli';
import { progressQuery, type RunProgress } from '../../src/contracts';

let client: Client;
beforeAll(async () => {
  await workflowBundle();
  client = await connect();
});
afterAll(async () => client.connection.close());

async function waitFor(
  what: string,
  get: () => Promise<RunProgress>,
  ok: (p: RunProgress) => boolean,
): Promise<RunProgress> {
  const end = Date.now() + 60_000;
  for (;;) {
    const p = await get().catch(() => undefined);
    if (p && ok(p)) return p;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(p)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function openChildren(runId: string): Promise<number> {
  let open = 0;
  for await (const wf of client.workflow.list({
    query: `WorkflowId STARTS_WITH '${runId}/conv-' AND ExecutionStatus = 'Running'`,
  })) {
    open += wf ? 1 : 0;
  }
  return open;
}

describe('run control from the CLI', () => {
  it('pause stops starting conversations, resume finishes the run; status and runs report it', async () => {
    const { home, configFile } = makeRunDir({ conversations: 10, concurrency: { conversations: 2 } });
    const input = await prepare(home, configFile, `ctl-${Date.now()}`);
    const run = await startRun(client, input);
    const { handle, done } = run;
    try {
      const paused = await magnetCli(['pause', input.runId], {
        TEMPORAL_ADDRESS: temporalAddress(),
        MAGNET_HOME: home,
      });
      expect(paused.stdout).toContain(`pause: sent to ${input.runId}`);
      const p1 = await waitFor(
        'pause to drain',
        () => handle.query(progressQuery),
        (p) => p.paused && p.inFlight === 0 && p.phase === 'conversations',
      );
      expect(p1.started).toBeLessThan(10);
      await new Promise((r) => setTimeout(r, 1500));
      const p2 = await handle.query(progressQuery);
      expect(p2.started).toBe(p1.started);
      const status = await magnetCli(['status', input.runId], {
        TEMPORAL_ADDRESS: temporalAddress(),
        MAGNET_HOME: home,
      });
      expect(status.stdout).toContain('(PAUSED)');
      expect(status.stdout).toMatch(/conversations: \d+ done, 0 failed, 0 running, 0 waiting for retry/);
      expect(
        (await magnetCli(['resume', input.runId], { TEMPORAL_ADDRESS: temporalAddress(), MAGNET_HOME: home }))
          .code,
      ).toBe(0);
      const summary = await done;
      expect(summary.conversations).toBe(10);
      const runs = await magnetCli(['runs'], { TEMPORAL_ADDRESS: temporalAddress(), MAGNET_HOME: home });
      expect(runs.stdout).toMatch(new RegExp(`^${input.runId}\\tCOMPLETED\\t`, 'm'));
      const st = await magnetCli(['status', input.runId, '--json'], {
        TEMPORAL_ADDRESS: temporalAddress(),
        MAGNET_HOME: home,
      });
      expect(st.stderr).toBe('');
      const json = JSON.parse(st.stdout) as {
        status: string;
        completed: number;
        phase: string;
      };
      expect(json).toMatchObject({ status: 'COMPLETED', completed: 10, phase: 'done' });
    } finally {
      await run.stop();
    }
  });

  it('cancel stops the run and its conversations', async () => {
    const { home, configFile } = makeRunDir({ conversations: 40, concurrency: { conversations: 2 } });
    const input = await prepare(home, configFile, `ctl-cancel-${Date.now()}`);
    // workers stay up until the cancelled conversations have wound down (they need a worker to do so)
    const run = await startRun(client, input, {
      until: (done) =>
        done
          .catch(() => undefined)
          .then(async () => {
            for (let i = 0; i < 100 && (await openChildren(input.runId)) > 0; i++)
              await new Promise((r) => setTimeout(r, 200));
          }),
    });
    const { handle, done, running } = run;
    try {
      await waitFor(
        'a few conversations',
        () => handle.query(progressQuery),
        (p) => p.completed >= 2,
      );
      expect(
        (await magnetCli(['cancel', input.runId], { TEMPORAL_ADDRESS: temporalAddress(), MAGNET_HOME: home }))
          .code,
      ).toBe(0);
      await expect(done).rejects.toBeInstanceOf(WorkflowFailedError);
      expect((await handle.describe()).status.name).toBe('CANCELLED');
      await running;
      expect(await openChildren(input.runId)).toBe(0);
      let cancelled = 0;
      for await (const wf of client.workflow.list({
        query: `WorkflowId STARTS_WITH '${input.runId}/conv-' AND ExecutionStatus = 'Canceled'`,
      }))
        cancelled += wf ? 1 : 0;
      expect(cancelled).toBeGreaterThan(0);
    } finally {
      await run.stop();
    }
  });
});
