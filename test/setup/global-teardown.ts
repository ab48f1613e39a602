import { readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export default async function globalTeardown(): Promise<void> {
  const file = path.join(os.tmpdir(), 'magnet-test-temporal.json');
  try {
    const { pid, dir } = JSON.parse(readFileSync(file, 'utf8')) as { pid: number; dir: string };
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
    rmSync(file, { force: true });
  } catch {
    // nothing was started
  }
}
