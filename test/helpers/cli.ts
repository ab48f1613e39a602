import { spawn } from 'node:child_process';
import path from 'node:path';
import { assertNoUnknownFormat } from './stderr';

const BIN = path.join(__dirname, '..', '..', 'bin', 'magnet.js');

/**
 * Runs the built CLI without blocking this process: workers living in the test process must keep answering
 * the queries the CLI sends (spawnSync would deadlock them). Its stderr must hold no "unknown format" line.
 */
export function magnetCli(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => {
      try {
        assertNoUnknownFormat(stderr, `magnet ${args.join(' ')}`);
        resolve({ code, stdout, stderr });
      } catch (e) {
        reject(e as Error);
      }
    });
  });
}

/** Polls until `fn` returns a value (errors count as "not yet"). */
export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 120_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`timed out waiting for ${what}`);
}
