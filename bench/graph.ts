/**
 * `npm run bench -- --only graph`: the dependency graph of synthetic pools (bench/graph-pool.ts: services of
 * 100 functions) built by a run's own `buildGraph` workflow with the offline judge, on a private dev server
 * with the worker in the process (`magnet graph --config`). Each case runs in a child process of its own, so
 * its peak RSS is its own. Prints the machine (CPU count and model, load average), then per case the wall
 * time, the time of each step (candidate selection, judging, assembly) from the workflow's history, and the
 * peak RSS. Targets (issue 15): 20,000 functions in 200 categories in < 2 min and < 1 GiB.
 *   MAGNET_BENCH_GRAPH_SIZES     pool sizes, judged within categories (default 5000,20000)
 *   MAGNET_BENCH_GRAPH_GLOBAL    a pool of this size judged across categories, sameCategory false (default
 *                                5000; 0 skips it)
 *   MAGNET_BENCH_GRAPH_TIMEOUT_S a case still running after this is killed and reported (default 900)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { buildGraphWithConfig } from '../src/cli/graph-build';
import { syntheticPool } from './graph-pool';
import { startBenchServer } from './server';

const TARGET_SECONDS = 120;
const TARGET_RSS_MIB = 1024;

interface CaseResult {
  functions: number;
  sameCategory: boolean;
  ok: boolean;
  error?: string;
  seconds: number;
  /** Per activity type: summed time from scheduled to completed or failed, and attempts. */
  steps: Record<string, { seconds: number; activities: number; attempts: number }>;
  edges?: number;
  peakRssMiB: number;
  /** CPU time of the case's process (user + system): on a shared machine, steadier than wall time. */
  cpuSeconds?: number;
  /** Largest V8 heap in use and largest memory outside it (buffers, strings of the native layer) seen. */
  peakHeapMiB?: number;
  peakExternalMiB?: number;
}

/** One case, in this (child) process: writes the pool, builds its graph, prints a `RESULT {json}` line. */
async function runCase(functions: number, sameCategory: boolean): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'magnet-bench-graph-'));
  const server = await startBenchServer(dir);
  // a case over its time is stopped with SIGTERM: its dev server must not outlive it
  process.once('SIGTERM', () => {
    server.stop();
    rmSync(dir, { recursive: true, force: true });
    process.exit(143);
  });
  const result: CaseResult = { functions, sameCategory, ok: false, seconds: 0, steps: {}, peakRssMiB: 0 };
  try {
    mkdirSync(path.join(dir, 'pool'));
    for (const [file, tools] of syntheticPool(functions))
      writeFileSync(path.join(dir, 'pool', `${file}.json`), JSON.stringify(tools));
    const config = path.join(dir, 'bench.json');
    writeFileSync(
      config,
      JSON.stringify({ name: 'bench', pool: 'pool', conversations: 1, graphBuild: { sameCategory } }),
    );
    process.env.MAGNET_HOME = dir;
    process.env.TEMPORAL_ADDRESS = server.address;
    const t0 = Date.now();
    let runId = '';
    let heap = 0;
    let external = 0;
    // MAGNET_BENCH_GRAPH_TRACE=gc collects first (with --expose-gc): the heap that is live, not garbage
    const collect = process.env.MAGNET_BENCH_GRAPH_TRACE === 'gc' ? (globalThis.gc ?? undefined) : undefined;
    let ticks = 0;
    const sampler = setInterval(() => {
      if (collect && ++ticks % 8 === 0) collect();
      const m = process.memoryUsage();
      if (process.env.MAGNET_BENCH_GRAPH_TRACE)
        process.stderr.write(
          `${((Date.now() - t0) / 1000).toFixed(1)} s: rss ${Math.round(m.rss / 2 ** 20)} heap ${Math.round(m.heapUsed / 2 ** 20)}\n`,
        );
      heap = Math.max(heap, m.heapUsed);
      external = Math.max(external, m.external);
    }, 250);
    // its own printing (a line per category) is not the bench's
    const log = console.log;
    console.log = (): void => undefined;
    try {
      const built = await buildGraphWithConfig({
        config,
        out: path.join(dir, 'graph.json'),
        cache: false,
        preflight: false,
      });
      runId = built.runId;
      result.edges = built.graph.stats.edges;
      result.ok = true;
    } catch (e) {
      result.error = String(e instanceof Error ? e.message : e).split('\n')[0];
    } finally {
      console.log = log;
    }
    result.seconds = (Date.now() - t0) / 1000;
    clearInterval(sampler);
    result.peakHeapMiB = Math.round(heap / 2 ** 20);
    result.peakExternalMiB = Math.round(external / 2 ** 20);
    result.steps = await stepTimes(server.address, runId);
  } finally {
    server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  result.peakRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
  const cpu = process.cpuUsage();
  result.cpuSeconds = (cpu.user + cpu.system) / 1e6;
  console.log(`RESULT ${JSON.stringify(result)}`);
}

/** Time per activity type in the graph workflow's history (the only workflow on the bench's server). */
async function stepTimes(address: string, runId: string): Promise<CaseResult['steps']> {
  const client = new Client({ connection: await Connection.connect({ address }) });
  try {
    let id = runId ? `${runId}/graph` : '';
    if (!id) for await (const wf of client.workflow.list()) id = wf.workflowId;
    const history = await client.workflow.getHandle(id).fetchHistory();
    const ms = (t: unknown): number => {
      const ts = t as { seconds?: { toNumber(): number } | number; nanos?: number } | undefined;
      const s = ts?.seconds;
      return (typeof s === 'number' ? s : (s?.toNumber() ?? 0)) * 1000 + (ts?.nanos ?? 0) / 1e6;
    };
    const scheduled = new Map<string, { type: string; at: number }>();
    const steps: CaseResult['steps'] = {};
    for (const e of history.events ?? []) {
      const at = ms(e.eventTime);
      const s = e.activityTaskScheduledEventAttributes;
      if (s) scheduled.set(String(e.eventId), { type: s.activityType?.name ?? '?', at });
      const end =
        e.activityTaskCompletedEventAttributes ??
        e.activityTaskFailedEventAttributes ??
        e.activityTaskTimedOutEventAttributes;
      const started = e.activityTaskStartedEventAttributes;
      if (started) {
        const first = scheduled.get(String(started.scheduledEventId));
        const step = first && (steps[first.type] ??= { seconds: 0, activities: 0, attempts: 0 });
        if (step) step.attempts = Math.max(step.attempts, started.attempt ?? 1);
      }
      if (end) {
        const first = scheduled.get(String(end.scheduledEventId));
        if (!first) continue;
        const step = (steps[first.type] ??= { seconds: 0, activities: 0, attempts: 0 });
        step.seconds += (at - first.at) / 1000;
        step.activities++;
      }
    }
    const events = history.events ?? [];
    const span = ms(events[events.length - 1]?.eventTime) - ms(events[0]?.eventTime);
    return { workflow: { seconds: span / 1000, activities: 0, attempts: 0 }, ...steps };
  } finally {
    await client.connection.close();
  }
}

function runChild(functions: number, sameCategory: boolean, timeoutS: number): Promise<CaseResult> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [...process.execArgv, __filename, '--case', String(functions), String(sameCategory)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const t0 = Date.now();
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    }, timeoutS * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (line) return resolve(JSON.parse(line.slice('RESULT '.length)) as CaseResult);
      resolve({
        functions,
        sameCategory,
        ok: false,
        error: signal ? `killed after ${timeoutS} s (${signal})` : `exit code ${code}`,
        seconds: (Date.now() - t0) / 1000,
        steps: {},
        peakRssMiB: 0,
      });
    });
  });
}

function describeCase(r: CaseResult): string {
  const scope = r.sameCategory ? `${Math.ceil(r.functions / 100)} categories` : 'across categories';
  const steps = Object.entries(r.steps)
    .map(
      ([type, s]) =>
        `${type.replace(/Activity$/, '')} ${s.seconds.toFixed(1)} s${s.activities > 1 ? ` (${s.activities} activities)` : ''}${s.attempts > 1 ? ` (${s.attempts} attempts)` : ''}`,
    )
    .join(', ');
  const head = `graph: ${r.functions} functions, ${scope}: `;
  const what = r.ok
    ? `${r.edges} edges in ${r.seconds.toFixed(1)} s`
    : `FAILED after ${r.seconds.toFixed(1)} s: ${r.error}`;
  const cpu = r.cpuSeconds !== undefined ? `, CPU ${r.cpuSeconds.toFixed(1)} s` : '';
  const heap =
    r.peakHeapMiB !== undefined
      ? ` (heap in use at most ${r.peakHeapMiB} MiB, external ${r.peakExternalMiB} MiB)`
      : '';
  return `${head}${what}${cpu}, peak RSS ${r.peakRssMiB} MiB${heap}\n  steps: ${steps || 'none recorded'}`;
}

export async function graphBench(): Promise<void> {
  const sizes = (process.env.MAGNET_BENCH_GRAPH_SIZES ?? '5000,20000').split(',').map(Number);
  const global = Number(process.env.MAGNET_BENCH_GRAPH_GLOBAL ?? 5000);
  const timeoutS = Number(process.env.MAGNET_BENCH_GRAPH_TIMEOUT_S ?? 900);
  const cpus = os.cpus();
  console.log(
    `machine: ${os.availableParallelism()} CPUs (${cpus[0]?.model.trim() ?? 'unknown model'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, load average ${os.loadavg()[0]?.toFixed(1)}`,
  );
  const cases: [number, boolean][] = [...sizes.map((n): [number, boolean] => [n, true])];
  if (global > 0) cases.push([global, false]);
  for (const [n, same] of cases) {
    const r = await runChild(n, same, timeoutS);
    console.log(describeCase(r));
    if (!r.ok) process.exitCode = 1;
    if (n >= 20_000 && same && r.ok) {
      const fast = r.seconds < TARGET_SECONDS;
      const small = r.peakRssMiB < TARGET_RSS_MIB;
      console.log(
        `  target < ${TARGET_SECONDS} s and < ${TARGET_RSS_MIB} MiB: ${fast ? 'ok' : 'SLOW'}, ${small ? 'ok' : 'OVER'}`,
      );
      if (!fast || !small) process.exitCode = 1;
    }
  }
}

if (require.main === module && process.argv[2] === '--case') {
  runCase(Number(process.argv[3]), process.argv[4] === 'true').catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
