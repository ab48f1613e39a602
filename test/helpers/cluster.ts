import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { waitForPort } from '../../src/server/dev-server';
import { alive, sleep } from './crash-procs';
import { ROOT } from './run';

/** The self-hosted cluster of temporal/cluster/local.sh, as the cluster tests see it (its state folder). */

const LOCAL_SH = path.join(ROOT, 'temporal', 'cluster', 'local.sh');

/** The variables `local.sh up` wrote to `<dir>/env` (`export NAME='value'`, one a line). */
export function clusterEnv(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(path.join(dir, 'env'), 'utf8').split('\n')) {
    const m = /^export ([A-Z_]+)='(.*)'$/.exec(line);
    if (m) out[m[1] as string] = m[2] as string;
  }
  return out;
}

/** The pid of the Temporal server process (local.sh execs the binary, so it is the server itself). */
export function serverPid(dir: string): number {
  return Number(readFileSync(path.join(dir, 'server.pid'), 'utf8').trim());
}

/** SIGKILL the server and wait until it is gone. */
export async function killServer(dir: string): Promise<number> {
  const pid = serverPid(dir);
  process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 100 && alive(pid); i++) await sleep(100);
  if (alive(pid)) throw new Error(`Temporal server pid ${pid} is still alive after SIGKILL`);
  return pid;
}

/**
 * Starts the server again on the same ports and database (`local.sh server`, detached from this process:
 * `local.sh down` stops it by its pid file), resolving when its frontend port is open.
 */
export async function restartServer(dir: string): Promise<number> {
  const log = openSync(path.join(dir, 'server.log'), 'a');
  const child = spawn('bash', [LOCAL_SH, 'server', dir], { stdio: ['ignore', log, log], detached: true });
  child.unref();
  closeSync(log);
  const port = Number(clusterEnv(dir).FRONTEND_GRPC_PORT);
  await waitForPort(port, 120_000, `the restarted Temporal server (log ${dir}/server.log)`);
  return serverPid(dir);
}
