import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { makeRunDir } from '../helpers/run';
import { until } from '../helpers/cli';
import { temporalAddress } from '../helpers/temporal';
import { freePort, sleep, spawnMagnet, startDevServer, type Proc } from '../helpers/crash-procs';
import * as procs from '../helpers/crash-procs';

/**
 * Workers that wait (issue 26 item 3), with the built CLI: a `magnet worker` started while no server listens
 * says so once and serves as soon as a server appears on that address; with a time limit it gives up with the
 * usual one-line error; `magnet worker --run` exits 0 once its run has ended.
 */

jest.setTimeout(180_000);

let home: string;
let configFile: string;
let logDir: string;
let late: procs.DevServer | undefined;

beforeAll(() => {
  ({ home, configFile } = makeRunDir({ conversations: 4, llm: { default: { provider: 'offline' } } }));
  logDir = path.join(home, 'logs');
  mkdirSync(logDir, { recursive: true });
});

afterAll(() => {
  procs.killLeftovers();
  if (home) rmSync(home, { recursive: true, force: true });
});

const waitingLines = (p: Proc): string[] =>
  p
    .output()
    .split('\n')
    .filter((l) => l.startsWith('waiting for the Temporal server'));

it('a worker started before its server waits for it, saying so once, then serves', async () => {
  const port = await freePort();
  const env = { ...process.env, TEMPORAL_ADDRESS: `127.0.0.1:${port}`, MAGNET_HOME: home };
  const worker = spawnMagnet('early-worker', ['worker', '--task-queue', `tq-wait-${port}`], env, logDir);
  // several attempts fail meanwhile (0.5 s, 1 s, 2 s... apart): still one line
  await until('the waiting line', async () => (waitingLines(worker).length ? true : undefined), 30_000);
  await sleep(4000);
  expect(waitingLines(worker)).toEqual([
    `waiting for the Temporal server at 127.0.0.1:${port} (connection refused); retrying until it answers (Ctrl-C to stop)`,
  ]);
  const dir = path.join(home, 'late-server');
  mkdirSync(dir, { recursive: true });
  late = await startDevServer(
    { dir, port, uiPort: await freePort(), dbFile: path.join(dir, 'dev.sqlite') },
    1,
  );
  await until(
    'the worker to serve',
    async () => (worker.output().includes(`magnet worker on 127.0.0.1:${port}`) ? true : undefined),
    60_000,
  );
  expect(worker.output()).toMatch(
    new RegExp(`Temporal server at 127\\.0\\.0\\.1:${port} answered after \\d+ s`),
  );
  expect(waitingLines(worker)).toHaveLength(1);
  process.kill(worker.pid, 'SIGTERM');
  expect((await worker.exited).code).toBe(0);
  process.kill(late.proc.pid, 'SIGKILL');
  await late.proc.exited;
});

it('--wait-for-server N gives up after N seconds with one line', async () => {
  const port = await freePort();
  const env = { ...process.env, TEMPORAL_ADDRESS: `127.0.0.1:${port}`, MAGNET_HOME: home };
  const t0 = Date.now();
  const worker = spawnMagnet(
    'impatient-worker',
    ['worker', '--task-queue', 'q', '--wait-for-server', '3'],
    env,
    logDir,
  );
  const { code } = await worker.exited;
  const seconds = (Date.now() - t0) / 1000;
  expect(code).toBe(1);
  expect(seconds).toBeGreaterThanOrEqual(3);
  expect(seconds).toBeLessThan(20);
  expect(waitingLines(worker)).toHaveLength(1);
  expect(worker.output()).toContain(
    `error: no Temporal server at 127.0.0.1:${port} (TEMPORAL_ADDRESS or the Temporal config profile): connection refused`,
  );
});

it('magnet worker --run exits 0 once its run has ended', async () => {
  const env = { ...process.env, TEMPORAL_ADDRESS: temporalAddress(), MAGNET_HOME: home };
  const runId = `wait-end-${Date.now()}`;
  const start = spawnMagnet(
    'start',
    ['run', '--config', configFile, '--run-id', runId, '--detach'],
    env,
    logDir,
  );
  expect((await start.exited).code).toBe(0);
  const worker = spawnMagnet('run-worker', ['worker', '--run', runId], env, logDir);
  const { code } = await worker.exited;
  expect(worker.output()).toContain(`run ${runId} has ended (COMPLETED): magnet worker stops`);
  expect(code).toBe(0);
});
