import { spawn } from 'node:child_process';
import path from 'node:path';
import { progressQuery } from '../../src/contracts';
import { until } from '../helpers/cli';
import { makeRunDir } from '../helpers/run';
import { temporalAddress, withClient } from '../helpers/temporal';

/**
 * A CLI stopped by SIGINT or SIGTERM shuts its worker down without an error (issue 25 item 8): Temporal's
 * runtime shuts the workers down on those signals, and `magnet run` used to end with "error: Promise did not
 * resolve within 0ms after Worker completed shutdown", exit 1. It now says what became of the run and exits
 * 128 + the signal's number; the run goes on on the server.
 */
const BIN = path.join(__dirname, '..', '..', 'bin', 'magnet.js');
const ctx = withClient();

it.each([
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const)(
  'magnet run stopped by %s: its workers shut down, no error, exit %d',
  async (signal, code) => {
    const { home, configFile } = makeRunDir({ conversations: 400, concurrency: { conversations: 4 } });
    const runId = `signal-${signal}-${Date.now()}`;
    const p = spawn(process.execPath, [BIN, 'run', '--config', configFile, '--run-id', runId], {
      env: { ...process.env, TEMPORAL_ADDRESS: temporalAddress(), MAGNET_HOME: home },
    });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => p.on('close', resolve));
    const handle = ctx.client.workflow.getHandle(runId);
    try {
      // the CLI's worker is working on the run: conversations complete
      await until('conversations to complete', async () => {
        const q = await handle.query(progressQuery);
        return q.completed >= 2 ? q : undefined;
      });
      p.kill(signal);
      expect(await exited).toBe(code);
      expect(stderr).not.toMatch(/error|Promise did not resolve/i);
      expect(stderr).toContain(
        `stopped by ${signal}: this process's workers shut down; run ${runId} goes on without them`,
      );
      expect((await handle.describe()).status.name).toBe('RUNNING');
    } finally {
      p.kill('SIGKILL');
      await handle.cancel().catch(() => undefined);
    }
  },
  180_000,
);
