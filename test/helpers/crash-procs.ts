import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { portOpen, spawnDevServer, waitForPort } from '../../src/server/dev-server';
import { ROOT } from './run';
import { reportUnknownFormat } from './stderr';

/** Real processes for the crash tests: a private Temporal dev server and magnet CLI processes. */

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Every process a crash test started, so that afterAll can kill what is left, whatever happened. */
const started = new Set<ChildProcess>();

export function killLeftovers(): string[] {
  const killed: string[] = [];
  for (const c of started) {
    if (c.exitCode === null && c.signalCode === null && alive(c.pid)) {
      try {
        process.kill(c.pid as number, 'SIGKILL');
        killed.push(String(c.pid));
      } catch {
        // gone meanwhile
      }
    }
  }
  started.clear();
  return killed;
}

export interface Proc {
  name: string;
  child: ChildProcess;
  pid: number;
  logFile: string;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The process's output so far (stdout and stderr, from its log file). */
  output(): string;
}

function track(name: string, child: ChildProcess, logFile: string, fd?: number): Proc {
  if (!child.pid) throw new Error(`could not start ${name}`);
  started.add(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      if (fd !== undefined) closeSync(fd);
      // its stderr went to the log file: test/setup/e2e-stderr.ts fails the test file on an unknown format
      if (existsSync(logFile)) reportUnknownFormat(readFileSync(logFile, 'utf8'), name);
      resolve({ code, signal });
    });
  });
  return {
    name,
    child,
    pid: child.pid,
    logFile,
    exited,
    output: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
  };
}

/** SIGKILL, then wait until the process is really gone. */
export async function sigkill(p: Proc): Promise<void> {
  expect(alive(p.pid)).toBe(true);
  process.kill(p.pid, 'SIGKILL');
  const { signal } = await p.exited;
  expect(signal).toBe('SIGKILL');
  expect(alive(p.pid)).toBe(false);
}

/** `node bin/magnet.js <args>`, asynchronously (never spawnSync: workers may live in this process). */
export function spawnMagnet(name: string, args: string[], env: NodeJS.ProcessEnv, logDir: string): Proc {
  const entry = path.join(ROOT, 'dist', 'src', 'cli', 'bin.js');
  if (!existsSync(entry))
    throw new Error(`${entry} is missing: run \`npm run build\` before the crash tests (npm test does)`);
  const logFile = path.join(logDir, `${name}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'magnet.js'), ...args], {
    env,
    stdio: ['ignore', fd, fd],
  });
  return track(name, child, logFile, fd);
}

export interface DevServer {
  port: number;
  uiPort: number;
  address: string;
  dbFile: string;
  proc: Proc;
}

/**
 * `temporal server start-dev` on a given SQLite file and ports (a restart passes the same ones). The dev
 * server is a single Go process: the pid we kill is the server itself.
 */
export async function startDevServer(
  opts: { dir: string; port: number; uiPort: number; dbFile: string },
  generation: number,
): Promise<DevServer> {
  const bin = process.env.MAGNET_TEST_TEMPORAL_BIN;
  if (!bin) throw new Error('MAGNET_TEST_TEMPORAL_BIN is not set: the jest global setup exports it');
  if (await portOpen(opts.port)) throw new Error(`port ${opts.port} is already in use`);
  const name = `temporal-${generation}`;
  const logFile = path.join(opts.dir, `${name}.log`);
  const child = spawnDevServer({ bin, dbFile: opts.dbFile, port: opts.port, uiPort: opts.uiPort, logFile });
  const proc = track(name, child, logFile);
  let up = false;
  const early = proc.exited.then(({ code, signal }) => {
    if (!up) throw new Error(`Temporal dev server exited (${code ?? signal}): ${proc.output().slice(-2000)}`);
  });
  await Promise.race([waitForPort(opts.port, 60_000, `Temporal dev server (log ${logFile})`), early]);
  up = true;
  return { ...opts, address: `127.0.0.1:${opts.port}`, proc };
}

/** Child processes of a pid (Linux /proc), to check that the dev server is one process. */
export function childPids(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((t) =>
      readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

/** The command line of a live pid (to check that the pid we kill is the server binary itself). */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}
