import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ConfigError } from '../io/config-file';
import { dataDir, packageRoot } from '../io/paths';
import { homeLayout } from '../io/run-layout';
import { loadConnectionSettings } from './connection';
import { devServerSearchAttributeFlags } from '../contracts';

export interface ServerInfo {
  address: string;
  uiUrl?: string;
  pid?: number;
  dbFile?: string;
  logFile?: string;
  local: boolean;
}

/** Path of a usable Temporal CLI, installing the pinned one into temporal/.bin when needed. */
export function temporalBinary(): string {
  const script = path.join(packageRoot(), 'temporal', 'install.sh');
  const r = spawnSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const bin = r.stdout.trim().split('\n').pop();
  if (r.status !== 0 || !bin)
    throw new Error(`could not install the Temporal CLI (${script} exited with ${r.status})`);
  return bin;
}

export function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

export async function waitForPort(port: number, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await portOpen(port)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not open port ${port} within ${timeoutMs / 1000}s`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface StartOptions {
  dir?: string;
  port?: number;
  uiPort?: number;
}

function files(dir: string): { pidFile: string; dbFile: string; logFile: string } {
  const base = homeLayout(dir).temporal;
  return {
    pidFile: path.join(base, 'server.pid'),
    dbFile: path.join(base, 'dev.sqlite'),
    logFile: path.join(base, 'server.log'),
  };
}

/**
 * Starts `temporal server start-dev` in the background with its SQLite file in the data folder, so
 * workflow histories survive a restart of the server. Returns at once if it is already running.
 */
export async function startLocalServer(opts: StartOptions = {}): Promise<ServerInfo> {
  const dir = opts.dir ?? dataDir();
  const port = opts.port ?? localPorts().port;
  const uiPort = opts.uiPort ?? localPorts().uiPort;
  const { pidFile, dbFile, logFile } = files(dir);
  const info = {
    address: `127.0.0.1:${port}`,
    uiUrl: `http://localhost:${uiPort}`,
    dbFile,
    logFile,
    local: true,
  };
  const existing = await readPid(pidFile);
  if (existing && alive(existing) && (await portOpen(port))) return { ...info, pid: existing };
  if (await portOpen(port)) {
    throw new Error(
      `port ${port} is in use by another process; set TEMPORAL_ADDRESS to use that server, or stop it`,
    );
  }
  await fs.mkdir(path.dirname(dbFile), { recursive: true });
  const bin = temporalBinary();
  const child = spawnDevServer({ bin, dbFile, port, uiPort, logFile, logLevel: 'warn', detached: true });
  child.unref();
  if (!child.pid) throw new Error(`could not start ${bin}`);
  await fs.writeFile(pidFile, String(child.pid));
  await waitForPort(port, 60_000, `the Temporal dev server (log: ${logFile})`);
  return { ...info, pid: child.pid };
}

/**
 * `temporal server start-dev` with magnet's search attributes, its SQLite file and log. Shared by the local
 * server, the test suite's server and the bench so they all run the same thing.
 */
export function spawnDevServer(opts: {
  bin: string;
  dbFile: string;
  port: number;
  uiPort: number;
  logFile: string;
  logLevel?: 'error' | 'warn' | 'info';
  detached?: boolean;
}): ChildProcess {
  const log = openSync(opts.logFile, 'a');
  const args = [
    'server',
    'start-dev',
    '--db-filename',
    opts.dbFile,
    '--port',
    String(opts.port),
    '--ui-port',
    String(opts.uiPort),
  ];
  args.push('--ip', '127.0.0.1', '--log-level', opts.logLevel ?? 'error', ...devServerSearchAttributeFlags());
  const child = spawn(opts.bin, args, { detached: opts.detached ?? false, stdio: ['ignore', log, log] });
  closeSync(log); // the server has its own copy
  return child;
}

/** A port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() =>
        addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no free port')),
      );
    });
  });
}

async function readPid(file: string): Promise<number | undefined> {
  try {
    const pid = Number((await fs.readFile(file, 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export async function stopLocalServer(dir = dataDir()): Promise<boolean> {
  const { pidFile } = files(dir);
  const pid = await readPid(pidFile);
  if (!pid || !alive(pid)) return false;
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 200));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  await fs.rm(pidFile, { force: true });
  return true;
}

/** Ports of the local dev server: 7233 / 8233 unless MAGNET_TEMPORAL_PORT / MAGNET_TEMPORAL_UI_PORT say otherwise. */
export function localPorts(): { port: number; uiPort: number } {
  const num = (v: string | undefined, d: number): number => (v && /^\d+$/.test(v) ? Number(v) : d);
  return {
    port: num(process.env.MAGNET_TEMPORAL_PORT, 7233),
    uiPort: num(process.env.MAGNET_TEMPORAL_UI_PORT, 8233),
  };
}

export async function localServerStatus(
  dir = dataDir(),
  port = localPorts().port,
): Promise<ServerInfo & { running: boolean }> {
  const { pidFile, dbFile, logFile } = files(dir);
  const pid = await readPid(pidFile);
  const running = !!pid && alive(pid) && (await portOpen(port));
  return {
    address: `127.0.0.1:${port}`,
    uiUrl: `http://localhost:${localPorts().uiPort}`,
    pid,
    dbFile,
    logFile,
    local: true,
    running,
  };
}

/**
 * The configured Temporal (TEMPORAL_ADDRESS, or the address of the Temporal config profile: any cluster or
 * Temporal Cloud, see connection.ts), else the local dev server, started if needed. Only commands that do
 * work (run, demo, attach, worker, server start) may start it.
 */
export async function ensureTemporal(): Promise<ServerInfo> {
  const { address } = loadConnectionSettings();
  if (address) return { address, local: false };
  return startLocalServer();
}

/**
 * Like ensureTemporal, but never starts the local dev server: looking at or steering a run must not leave a
 * server running as a side effect (and with no server there is no run to look at).
 */
export async function runningTemporal(): Promise<ServerInfo> {
  const { address } = loadConnectionSettings();
  if (address) return { address, local: false };
  const { port, uiPort } = localPorts();
  if (!(await portOpen(port)))
    throw new ConfigError(
      `no Temporal server at 127.0.0.1:${port}: start one with "magnet server start" (or set TEMPORAL_ADDRESS)`,
    );
  return { address: `127.0.0.1:${port}`, uiUrl: `http://localhost:${uiPort}`, local: true };
}
