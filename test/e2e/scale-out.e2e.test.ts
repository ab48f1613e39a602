import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { makeRunDir, ROOT } from '../helpers/run';
import { until } from '../helpers/cli';
import { connect } from '../helpers/temporal';
import { pauseSignal, resumeSignal, type RunSummary } from '../../src/contracts';

const BIN = path.join(ROOT, 'bin', 'magnet.js');
const CONVERSATIONS = 30;
const runId = `scale-${process.pid}-${Date.now()}`;
// a private task queue: no other test's worker may pick up this run's tasks
const taskQueue = `tq-${runId}`;

interface Proc {
  child: ChildProcessWithoutNullStreams;
  out: string[];
  exited: Promise<number | null>;
}

/** Starts the built CLI without blocking this process (never spawnSync while something here must answer). */
function magnet(args: string[], env: NodeJS.ProcessEnv): Proc {
  const child = spawn(process.execPath, [BIN, ...args], { env });
  const out: string[] = [];
  child.stdout.on('data', (d: Buffer) => out.push(d.toString()));
  child.stderr.on('data', (d: Buffer) => out.push(d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, out, exited };
}

let client: Client;
const workers: Proc[] = [];

beforeAll(async () => {
  if (!existsSync(path.join(ROOT, 'dist', 'src', 'cli', 'bin.js')))
    throw new Error('build first: npm run build (npm test does)');
  client = await connect();
});

afterAll(async () => {
  for (const w of workers) {
    if (w.child.exitCode !== null || w.child.signalCode !== null) continue;
    w.child.kill('SIGTERM'); // a worker shuts down gracefully on SIGTERM
    let timer: NodeJS.Timeout | undefined;
    const gone = await Promise.race([
      w.exited.then(() => true),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 15_000))),
    ]);
    clearTimeout(timer);
    if (!gone) {
      w.child.kill('SIGKILL');
      await w.exited;
    }
  }
  await client?.connection.close();
});

describe('scale-out: two `magnet worker` processes share one run', () => {
  it(`a detached ${CONVERSATIONS}-conversation run is worked on by both workers`, async () => {
    const { home, configFile } = makeRunDir({
      name: 'scale',
      seed: 11,
      conversations: CONVERSATIONS,
      concurrency: { conversations: 8 },
      llm: { default: { provider: 'offline' } },
    });
    const env = { ...process.env, MAGNET_HOME: home, MAGNET_TASK_QUEUE: taskQueue };

    const started = magnet(
      ['run', '--config', configFile, '--run-id', runId, '--detach', '--no-worker'],
      env,
    );
    expect({ code: await started.exited, out: started.out.join('') }).toMatchObject({ code: 0 });
    expect(started.out.join('')).toContain(`run ${runId} started`);

    // Hold the run until both workers poll, so the one that finishes bundling first cannot do everything.
    const handle = client.workflow.getHandle(runId);
    await handle.signal(pauseSignal);

    for (let i = 0; i < 2; i++) workers.push(magnet(['worker', '--run', runId], env));
    const expected = new Set(workers.map((w) => `${w.child.pid}@${os.hostname()}`));
    const pollers = await until('both workers to poll the task queue', async () => {
      for (const w of workers)
        if (w.child.exitCode !== null) throw new Error(`a worker exited early:\n${w.out.join('')}`);
      const r = await client.workflowService.describeTaskQueue({
        namespace: client.options.namespace,
        taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
        taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
      });
      const ids = new Set((r.pollers ?? []).map((p) => p.identity ?? ''));
      return [...expected].every((id) => ids.has(id)) ? ids : undefined;
    });
    expect([...pollers].sort()).toEqual([...expected].sort());
    await handle.signal(resumeSignal);

    const t0 = Date.now();
    const summary = (await handle.result()) as RunSummary;
    console.log(`${CONVERSATIONS} conversations on 2 worker processes in ${Date.now() - t0} ms`);
    expect(summary.conversations).toBe(CONVERSATIONS);
    expect(summary.failed).toBe(0);

    // Who did what: the identity ("pid@host") on every ActivityTaskStarted / WorkflowTaskCompleted event.
    const ids = [
      runId,
      `${runId}/graph`,
      ...Array.from({ length: CONVERSATIONS }, (_, i) => `${runId}/conv-${String(i).padStart(5, '0')}`),
    ];
    const activities = new Map<string, number>();
    const workflowTasks = new Map<string, number>();
    const conversationsBy = new Map<string, Set<string>>();
    const bump = (m: Map<string, number>, k: string): void => void m.set(k, (m.get(k) ?? 0) + 1);
    for (const id of ids) {
      const history = await client.workflow.getHandle(id).fetchHistory();
      for (const e of history.events ?? []) {
        const started = e.activityTaskStartedEventAttributes?.identity;
        if (started) {
          bump(activities, started);
          if (id.includes('/conv-'))
            conversationsBy.set(started, (conversationsBy.get(started) ?? new Set()).add(id));
        }
        const wft = e.workflowTaskCompletedEventAttributes?.identity;
        if (wft) {
          bump(workflowTasks, wft);
          // offline steps are local activities: they run in the workflow tasks of the worker that has them
          if (id.includes('/conv-'))
            conversationsBy.set(wft, (conversationsBy.get(wft) ?? new Set()).add(id));
        }
      }
    }
    const table = [...expected].map((id) => ({
      identity: id,
      activityTasks: activities.get(id) ?? 0,
      workflowTasks: workflowTasks.get(id) ?? 0,
      conversationsWorkedOn: conversationsBy.get(id)?.size ?? 0,
    }));
    console.log(`work per worker process (run ${runId}):\n${JSON.stringify(table, null, 1)}`);

    // every activity of the run was started by one of the two worker processes, and both worked on
    // conversations (their steps: activities, or local activities inside their workflow tasks)
    expect([...activities.keys()].every((k) => expected.has(k))).toBe(true);
    for (const row of table) expect(row.conversationsWorkedOn).toBeGreaterThan(0);
    expect([...workflowTasks.keys()].every((k) => expected.has(k))).toBe(true);

    const files = readdirSync(path.join(home, 'runs', runId, 'conversations')).filter((f) =>
      f.endsWith('.json'),
    );
    expect(files.sort()).toEqual(
      Array.from({ length: CONVERSATIONS }, (_, i) => `conv-${String(i).padStart(5, '0')}.json`),
    );
  }, 300_000);
});
