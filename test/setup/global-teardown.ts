import { rmSync } from 'node:fs';

/** Stops the suite's Temporal dev server (started by global-setup in this same process). */
export default async function globalTeardown(): Promise<void> {
  const pid = Number(process.env.MAGNET_TEST_TEMPORAL_PID);
  const dir = process.env.MAGNET_TEST_TEMPORAL_DIR;
  if (pid > 0) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
}
