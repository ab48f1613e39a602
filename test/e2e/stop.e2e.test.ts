import { readFileSync } from 'node:fs';
import { magnetCli, until } from '../helpers/cli';
import { makeRunDir, prepare, readRecords, startRun } from '../helpers/run';
import { connect, temporalAddress } from '../helpers/temporal';
import { progressQuery } from '../../src/contracts';

/**
 * `magnet stop` mid-run: no new conversation starts, those running finish, and every finished conversation
 * is in the exports (unlike cancel, which exports nothing).
 */
it('stop mid-run keeps every finished conversation in the exports', async () => {
  const client = await connect();
  try {
    const { home, configFile } = makeRunDir({
      seed: 8,
      conversations: 40,
      concurrency: { conversations: 2 },
    });
    const input = await prepare(home, configFile, `stop-${Date.now()}`);
    const run = await startRun(client, input);
    try {
      await until('a few conversations done', async () => {
        const p = await client.workflow.getHandle(input.runId).query(progressQuery);
        return p.completed >= 3 ? p : undefined;
      });
      const r = await magnetCli(['stop', input.runId], {
        TEMPORAL_ADDRESS: temporalAddress(),
        MAGNET_HOME: home,
      });
      expect(r.code).toBe(0);
      const summary = await run.done;
      expect(summary.stopped?.notStarted).toBeGreaterThan(0);
      expect(summary.stopped?.waiting).toBe(0);
      expect(summary.failed).toBe(0);
      // every conversation that started finished and was exported; none started after the stop
      expect(summary.conversations + summary.stopped!.notStarted).toBe(40);
      const { records } = await readRecords(input);
      expect(records).toHaveLength(summary.conversations);
      const sft = readFileSync(summary.files.sft, 'utf8').trim().split('\n');
      expect(sft).toHaveLength(summary.conversations);
      // status of the ended run says it was stopped, and counts against the 40 planned
      const status = await magnetCli(['status', input.runId], {
        TEMPORAL_ADDRESS: temporalAddress(),
        MAGNET_HOME: home,
      });
      expect(status.stdout).toContain(
        `  stopped (magnet stop): ${summary.stopped!.notStarted} never started, 0 left waiting for a retry`,
      );
      expect(status.stdout).toContain(`${summary.stopped!.notStarted} not started (of 40)`);
      // every control command on the ended run fails the same way (cancel said "sent")
      for (const what of ['pause', 'resume', 'stop', 'cancel']) {
        const r = await magnetCli([what, input.runId], {
          TEMPORAL_ADDRESS: temporalAddress(),
          MAGNET_HOME: home,
        });
        expect(r.code).toBe(1);
        expect(r.stderr.trim()).toBe(
          `error: run ${input.runId} has ended (COMPLETED): there is nothing to ${what}`,
        );
      }
    } finally {
      await run.stop();
    }
  } finally {
    await client.connection.close();
  }
}, 300_000);
