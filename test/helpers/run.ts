import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync, cpSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { prepareRun } from '../../src/cli/run';
import type { RunInput } from '../../src/core/config';
import { indexPool, type FunctionDef } from '../../src/core/pool';
import { loadPool } from '../../src/tools/pool-loader';
import { createWorkers } from '../../src/worker';
import { synthesisRun } from '../../src/workflows/run';
import type { ConversationRecord } from '../../src/core/conversation';
import { checkRecord } from './checks';
import type { FakeServer } from '../fakes';
import { temporalAddress, workflowBundle } from './temporal';
import { type RunSummary } from '../../src/contracts';

export const ROOT = path.join(__dirname, '..', '..');

/**
 * A fresh data folder and a config file in it (pool copied next to it). Multi-turn conversations only unless
 * the config sets a mix: these tests are about conversations (turns, retries, negatives); the mix of kinds has
 * its own test (mix.e2e.test.ts).
 */
export function makeRunDir(config: object): { home: string; configFile: string } {
  const home = mkdtempSync(path.join(os.tmpdir(), 'magnet-run-'));
  cpSync(path.join(ROOT, 'examples', 'pool'), path.join(home, 'pool'), { recursive: true });
  const configFile = path.join(home, 'run.json');
  writeFileSync(configFile, JSON.stringify({ pool: 'pool', mix: { multi_turn: 1 }, ...config }, null, 2));
  return { home, configFile };
}

/**
 * A run config's `llm` with every role on the fake OpenAI server (key in MAGNET_FAKE_KEY, model m1 unless told);
 * `student` adds the student model, so the run makes mDPO negatives.
 */
export function fakeLlm(
  server: FakeServer,
  opts: { provider?: Record<string, unknown>; model?: string; student?: boolean } = {},
): Record<string, unknown> {
  return {
    providers: {
      fake: { kind: 'openai', baseURL: `${server.url}/v1`, apiKeyEnv: 'MAGNET_FAKE_KEY', ...opts.provider },
    },
    default: { provider: 'fake', model: opts.model ?? 'm1' },
    ...(opts.student ? { roles: { student: { provider: 'fake', model: 'student-1' } } } : {}),
  };
}

/** Prepares a run the way the CLI does, in a given data folder, on a private task queue. */
export async function prepare(home: string, configFile: string, runId: string): Promise<RunInput> {
  const before = process.env.MAGNET_HOME;
  process.env.MAGNET_HOME = home;
  try {
    const input = await prepareRun(configFile, { runId });
    return { ...input, taskQueue: `tq-${runId}`, searchAttributes: true };
  } finally {
    if (before === undefined) delete process.env.MAGNET_HOME;
    else process.env.MAGNET_HOME = before;
  }
}

export interface StartedRun {
  handle: WorkflowHandle<typeof synthesisRun>;
  done: Promise<RunSummary>;
  /** The in-process workers, running until `until` (default: the run's end). */
  running: Promise<unknown>;
  /** Waits for the workers to stop and closes their connections. */
  stop: () => Promise<void>;
}

/** Starts a run with in-process workers (main queue + one per LLM provider) on the run's task queue. */
export async function startRun(
  client: Client,
  input: RunInput,
  opts: { batch?: number; until?: (done: Promise<RunSummary>) => Promise<unknown> } = {},
): Promise<StartedRun> {
  const workers = await createWorkers({
    address: temporalAddress(),
    config: input.config,
    taskQueue: input.taskQueue,
    options: { workflowBundle: await workflowBundle() },
  });
  const handle = await client.workflow.start(synthesisRun, {
    taskQueue: input.taskQueue,
    workflowId: input.runId,
    args: opts.batch ? [input, undefined, opts.batch] : [input],
  });
  const done = handle.result();
  const stopWhen = opts.until ? opts.until(done) : done;
  const running = Promise.all(workers.map((w) => w.worker.runUntil(stopWhen)));
  const stop = async (): Promise<void> => {
    await running.catch(() => undefined);
    for (const w of workers) await w.connection.close().catch(() => undefined);
  };
  return { handle, done, running, stop };
}

/** Runs a whole synthesis with in-process workers. */
export async function runToEnd(client: Client, input: RunInput, batch?: number): Promise<RunSummary> {
  const run = await startRun(client, input, { batch });
  try {
    await run.running;
    return await run.done;
  } finally {
    await run.stop();
  }
}

/**
 * Indices of the conversations a run ended with a record, sorted: those written (conversations/) and those
 * whose every turn a filter removed (filtered/: the quality filter, or the grounding of failed calls).
 */
export function endedIndices(outDir: string): number[] {
  const list = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir) : []);
  return [...list(path.join(outDir, 'conversations')), ...list(path.join(outDir, 'filtered'))]
    .map((f) => Number(/conv-(\d+)\.json$/.exec(f)?.[1]))
    .sort((a, b) => a - b);
}

/** The CLI's end line says how many were written; with the emptied ones, every planned conversation. */
export function writtenInLine(out: string, runId: string): number | undefined {
  const m = new RegExp(`run ${runId}: (\\d+) conversations written, 0 failed`).exec(out);
  return m ? Number(m[1]) : undefined;
}

export async function readRecords(
  input: RunInput,
): Promise<{ records: ConversationRecord[]; pool: Map<string, FunctionDef> }> {
  const pool = indexPool(await loadPool(input.poolPaths));
  const dir = path.join(input.outDir, 'conversations');
  const records = readdirSync(dir)
    .sort()
    .map((f) => checkRecord(JSON.parse(readFileSync(path.join(dir, f), 'utf8')), pool));
  return { records, pool };
}
