import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { startFakeOpenAI, type FakeServer } from '../fakes';
import { spawnMagnet, type Proc } from '../helpers/crash-procs';
import { makeRunDir } from '../helpers/run';
import { connect, temporalAddress } from '../helpers/temporal';

/**
 * Two users start runs at once on one Temporal server, from two shells with different API keys for the same
 * key variable. Each run has its own task queues, so every step of a run (workflow tasks and activities) is
 * executed by the CLI process that started it, with its own key: a worker never takes another run's steps.
 */

let client: Client;
const fakes: FakeServer[] = [];
const procs: Proc[] = [];

beforeAll(async () => {
  client = await connect();
});
afterAll(async () => {
  for (const p of procs)
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  for (const f of fakes) await f.close();
  await client?.connection.close();
});

/** Identities ("pid@host") that ran workflow tasks and activities of every workflow of a run. */
async function executors(runId: string): Promise<{ identities: Set<string>; activities: number }> {
  const identities = new Set<string>();
  let activities = 0;
  for await (const wf of client.workflow.list({ query: `WorkflowId STARTS_WITH '${runId}'` })) {
    const history = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
    for (const e of history.events ?? []) {
      const activity = e.activityTaskStartedEventAttributes?.identity;
      if (activity) {
        identities.add(activity);
        activities++;
      }
      const task = e.workflowTaskCompletedEventAttributes?.identity;
      if (task) identities.add(task);
    }
  }
  return { identities, activities };
}

it('two runs started at once from two shells with different keys: each runs only in its own process', async () => {
  const keys = ['sk-isolation-alice', 'sk-isolation-bob'];
  const runs = [];
  for (const [i, key] of keys.entries()) {
    // each provider accepts only its user's key: a step run by the other user's worker would be answered 401
    const fake = await startFakeOpenAI({ apiKey: key, latencyMs: 20 });
    fakes.push(fake);
    const { home, configFile } = makeRunDir({
      seed: 30 + i,
      conversations: 4,
      concurrency: { conversations: 4 },
      llm: {
        providers: { fake: { kind: 'openai', baseURL: `${fake.url}/v1`, apiKeyEnv: 'ISOLATION_KEY' } },
        default: { provider: 'fake', model: 'm1' },
      },
    });
    const runId = `isolation-${i}-${Date.now()}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: temporalAddress(),
      MAGNET_HOME: home,
      ISOLATION_KEY: key,
    };
    delete env.MAGNET_TASK_QUEUE;
    runs.push({ runId, key, fake, home, env, configFile });
  }
  const logDir = mkdtempSync(path.join(os.tmpdir(), 'magnet-isolation-'));
  for (const r of runs)
    procs.push(spawnMagnet(r.runId, ['run', '--config', r.configFile, '--run-id', r.runId], r.env, logDir));
  const exits = await Promise.all(procs.map((p) => p.exited));
  for (const [i, e] of exits.entries())
    expect({ exit: e.code, log: procs[i]?.output() }).toMatchObject({ exit: 0 });

  for (const [i, r] of runs.entries()) {
    const own = `${procs[i]?.pid}@${os.hostname()}`;
    const { identities, activities } = await executors(r.runId);
    console.log(`run ${r.runId}: ${activities} activities, executed by ${[...identities].join(', ')}`);
    expect(activities).toBeGreaterThan(20);
    expect([...identities]).toEqual([own]);
    // each provider saw only its own user's key, and never refused a request
    expect(r.fake.requestsWithKey(r.key)).toBe(true);
    expect(r.fake.requestsWithKey(runs[1 - i]?.key ?? '')).toBe(false);
    expect(r.fake.log.filter((e) => e.status === 401)).toEqual([]);
    expect(r.fake.successes().length).toBeGreaterThan(0);
  }
}, 300_000);
