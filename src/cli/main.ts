import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { buildGraphOffline, Graph, GraphConfig } from '../core/graph';
import { OpsConfig } from '../core/ops';
import { describeFsp, planConversation } from '../core/plan';
import { indexPool } from '../core/pool';
import { deriveSeed } from '../core/rng';
import { ConfigError } from '../io/config-file';
import { readJson, writeAtomic } from '../io/files';
import { loadPool } from '../io/pool-files';
import { packageRoot } from './paths';
import { attachRun, connectClient, launchRun, prepareRun } from './run';
import {
  firstExecution,
  listRuns,
  parseSets,
  progressOf,
  replayFailed,
  runInputOf,
  signalRun,
  waitingConversations,
} from './control';
import { RunConfig } from '../core/config';
import { NO_USAGE } from '../core/usage';
import { loadConfig } from '../io/config-file';
import { createWorkers } from '../worker';
import type { WorkflowHandle } from '@temporalio/client';
import type { RunProgress } from '../workflows/run';
import type { RunSummary } from '../activities/export';
import { ensureTemporal, localServerStatus, startLocalServer, stopLocalServer } from './server';

const USAGE = `magnet — multi-turn function-calling data synthesis (MAGNET) on Temporal

usage:
  magnet demo                                   ~20-conversation offline demo on the example pool
  magnet run --config C [--run-id ID] [--conversations N] [--detach] [--no-worker] [--no-cache]
  magnet status <run-id>                        progress: counts, failures by reason, tokens, cost, rate, ETA
  magnet attach <run-id> [--no-worker]          show a detached run's progress (and work on it) until it ends
  magnet replay <run-id> --failed [--conversation conv-00042] [--turn N] [--set role.model=M ...]
  magnet pause|resume|cancel <run-id>
  magnet runs                                   list runs
  magnet graph --pool P [--pool P2] --out G [--dot F] [--max-candidates K]
  magnet paths --graph G [--pool P] [--n 20] [--seed 7]
  magnet worker [--config C | --run ID]        a worker process (main queue + the config's LLM queues)
  magnet server start|stop|status              local Temporal dev server (data in $MAGNET_HOME or ./.magnet)
`;

type Args = { values: Record<string, unknown>; positionals: string[] };

function parse(argv: string[], options: NonNullable<Parameters<typeof parseArgs>[0]>['options']): Args {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true }) as Args;
  } catch (e) {
    throw new ConfigError((e as Error).message.split('\n')[0] ?? 'invalid arguments');
  }
}

/** Flag values are outside input too: validated, with the flag named in the error. */
function flag<T>(name: string, schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new ConfigError(`--${name}: ${r.error.issues[0]?.message ?? 'invalid'}`);
  return r.data;
}

const count = z.coerce.number().int().positive();

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'run':
      return cmdRun(rest);
    case 'demo':
      return cmdDemo(rest);
    case 'status':
      return cmdStatus(rest);
    case 'graph':
      return cmdGraph(rest);
    case 'paths':
      return cmdPaths(rest);
    case 'server':
      return cmdServer(rest);
    case 'worker':
      return cmdWorker(rest);
    case 'attach':
      return cmdAttach(rest);
    case 'replay':
      return cmdReplay(rest);
    case 'pause':
    case 'resume':
    case 'cancel':
      return cmdSignal(cmd, rest);
    case 'runs':
      return cmdRuns(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return cmd === undefined ? 2 : 0;
    default:
      throw new ConfigError(`unknown command "${cmd}" (see magnet help)`);
  }
}

async function cmdRun(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    config: { type: 'string' },
    'run-id': { type: 'string' },
    conversations: { type: 'string' },
    detach: { type: 'boolean' },
    'no-worker': { type: 'boolean' },
    'no-cache': { type: 'boolean' },
  });
  if (!values.config) throw new ConfigError('--config is required');
  const input = await prepareRun(values.config as string, {
    noCache: !!values['no-cache'],
    runId: values['run-id'] as string | undefined,
    conversations:
      values.conversations === undefined ? undefined : flag('conversations', count, values.conversations),
  });
  const summary = await launchRun(input, { detach: !!values.detach, worker: !values['no-worker'] });
  if (summary) printSummary(summary);
  return summary && summary.failed > 0 ? 3 : 0;
}

function printSummary(s: Awaited<ReturnType<typeof launchRun>>): void {
  if (!s) return;
  console.log(`run ${s.runId}: ${s.conversations} conversations written, ${s.failed} failed`);
  console.log(
    `  turns ${s.turns}, calls ${s.calls} (${s.failedCalls} returned errors), backend ${s.backend}`,
  );
  console.log(
    `  labels: ${Object.entries(s.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  );
  console.log(`  SFT (OpenAI chat JSONL): ${s.files.sft}`);
  console.log(`  conversations: ${s.files.conversations}`);
  console.log(`  report: ${s.files.report}`);
  if (s.backend.includes('offline'))
    console.log(
      '  note: offline backend — rule-based placeholder data for pipeline checks, not for training',
    );
}

async function cmdDemo(argv: string[]): Promise<number> {
  parse(argv, {});
  const config = path.join(packageRoot(), 'examples', 'demo.config.json');
  const input = await prepareRun(config, {
    runId: `demo-${new Date()
      .toISOString()
      .replace(/[-:.TZ]/g, '')
      .slice(0, 14)}`,
  });
  const summary = await launchRun(input);
  printSummary(summary);
  const server = await localServerStatus();
  if (!process.env.TEMPORAL_ADDRESS && server.running) {
    console.log(
      `Temporal UI: ${server.uiUrl} (server keeps running; stop it with: node bin/magnet.js server stop)`,
    );
  }
  return summary && summary.failed > 0 ? 3 : 0;
}

async function cmdStatus(argv: string[]): Promise<number> {
  const { positionals, values } = parse(argv, { json: { type: 'boolean' } });
  const runId = positionals[0];
  if (!runId) throw new ConfigError('usage: magnet status <run-id>');
  const server = await ensureTemporal();
  const client = await connectClient(server.address);
  const handle = client.workflow.getHandle(runId);
  const desc = await handle.describe();
  const input = await runInputOf(client, runId);
  // a closed run has no worker to answer queries: its result carries the final numbers
  const p =
    desc.status.name === 'RUNNING' ? await progressOf(client, runId) : await finalProgress(handle, runId);
  const waiting = await waitingConversations(client, runId, input.searchAttributes);
  const first = (await firstExecution(client, runId)).start;
  const end = desc.closeTime ?? new Date();
  const elapsed = (end.getTime() - first.getTime()) / 1000;
  const done = p.completed + p.failed;
  const rate = elapsed > 0 ? done / elapsed : 0;
  const eta = rate > 0 && p.phase === 'conversations' ? Math.round((p.planned - done) / rate) : undefined;
  const report = {
    status: desc.status.name,
    ...p,
    waiting: waiting.map((w) => ({ id: w.workflowId, failure: w.conversation?.failure })),
    elapsedSeconds: Math.round(elapsed),
    ratePerMinute: Math.round(rate * 600) / 10,
    etaSeconds: eta,
  };
  if (values.json) {
    console.log(JSON.stringify(report, null, 2));
    return 0;
  }
  console.log(`run ${runId}: ${desc.status.name}, phase ${p.phase}${p.paused ? ' (PAUSED)' : ''}`);
  console.log(
    `  conversations: ${p.completed} done, ${p.failed} failed, ${Math.max(0, p.inFlight - waiting.length)} running, ${waiting.length} waiting for replay, ${p.planned - p.started} not started (of ${p.planned})`,
  );
  if (Object.keys(p.failures).length)
    console.log(
      `  failures: ${Object.entries(p.failures)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`,
    );
  for (const w of waiting)
    console.log(
      `  waiting: ${w.workflowId} turn ${(w.conversation?.failure?.turn ?? 0) + 1} ${w.conversation?.failure?.stage}: ${w.conversation?.failure?.type}: ${w.conversation?.failure?.message}`,
    );
  console.log(`  turns ${p.turns}, calls ${p.calls}, retried turns ${p.retried}`);
  console.log(
    `  LLM: ${p.usage.requests} requests (+${p.usage.cached} from cache), ${p.usage.inputTokens} in / ${p.usage.outputTokens} out tokens, $${p.usage.costUsd.toFixed(4)}`,
  );
  console.log(
    `  rate ${report.ratePerMinute}/min over ${report.elapsedSeconds}s${eta !== undefined ? `, ETA ${eta}s` : ''}`,
  );
  return 0;
}

async function finalProgress(handle: WorkflowHandle, runId: string): Promise<RunProgress> {
  const s = (await handle.result().catch(() => undefined)) as RunSummary | undefined;
  return {
    runId,
    phase: s ? 'done' : 'export',
    paused: false,
    planned: s ? s.conversations + s.failed : 0,
    started: s ? s.conversations + s.failed : 0,
    completed: s?.conversations ?? 0,
    failed: s?.failed ?? 0,
    inFlight: 0,
    waiting: 0,
    failures: s?.failures ?? {},
    turns: s?.turns ?? 0,
    calls: s?.calls ?? 0,
    retried: 0,
    usage: s?.usage ?? NO_USAGE,
    summary: s,
  };
}

async function cmdWorker(argv: string[]): Promise<number> {
  const { values } = parse(argv, { config: { type: 'string' }, run: { type: 'string' } });
  const server = await ensureTemporal();
  let config = RunConfig.parse({ pool: '.', conversations: 1 });
  if (values.config) config = (await loadConfig(values.config as string)).config;
  if (values.run)
    config = (await runInputOf(await connectClient(server.address), values.run as string)).config;
  const workers = await createWorkers({ address: server.address, config });
  console.log(`magnet worker on ${server.address}: ${workers.map((w) => w.taskQueue).join(', ')}`);
  await Promise.all(workers.map((w) => w.worker.run()));
  return 0;
}

async function cmdAttach(argv: string[]): Promise<number> {
  const { positionals, values } = parse(argv, { 'no-worker': { type: 'boolean' } });
  const runId = positionals[0];
  if (!runId) throw new ConfigError('usage: magnet attach <run-id>');
  const summary = await attachRun(runId, { worker: !values['no-worker'] });
  printSummary(summary);
  return summary && summary.failed > 0 ? 3 : 0;
}

async function cmdReplay(argv: string[]): Promise<number> {
  const { positionals, values } = parse(argv, {
    failed: { type: 'boolean' },
    conversation: { type: 'string' },
    turn: { type: 'string' },
    set: { type: 'string', multiple: true },
    watch: { type: 'boolean' },
  });
  const runId = positionals[0];
  if (!runId || !values.failed)
    throw new ConfigError(
      'usage: magnet replay <run-id> --failed [--conversation ID] [--turn N] [--set role.model=M]',
    );
  const set = parseSets((values.set as string[] | undefined) ?? []);
  const turn = values.turn === undefined ? undefined : flag('turn', count, values.turn);
  const server = await ensureTemporal();
  const client = await connectClient(server.address);
  const sent = await replayFailed(client, runId, {
    conversation: values.conversation as string | undefined,
    turn,
    set,
  });
  if (sent.length === 0) {
    console.log(
      `no conversation of ${runId} is waiting for a replay${values.conversation ? ` (filter: ${values.conversation})` : ''}`,
    );
    return 1;
  }
  for (const w of sent) {
    const f = w.conversation?.failure;
    console.log(
      `replaying ${w.workflowId}: turn ${(f?.turn ?? 0) + 1} ${f?.stage} (was ${f?.type}: ${f?.message})`,
    );
  }
  if (values.watch) {
    const summary = await attachRun(runId, { worker: true });
    printSummary(summary);
  }
  return 0;
}

async function cmdSignal(what: 'pause' | 'resume' | 'cancel', argv: string[]): Promise<number> {
  const { positionals } = parse(argv, {});
  const runId = positionals[0];
  if (!runId) throw new ConfigError(`usage: magnet ${what} <run-id>`);
  const server = await ensureTemporal();
  await signalRun(await connectClient(server.address), runId, what);
  console.log(`${what}: sent to ${runId}`);
  return 0;
}

async function cmdRuns(argv: string[]): Promise<number> {
  parse(argv, {});
  const server = await ensureTemporal();
  for (const r of await listRuns(await connectClient(server.address))) {
    console.log(`${r.runId}\t${r.status}\t${r.start.toISOString()}`);
  }
  return 0;
}

async function cmdGraph(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    pool: { type: 'string', multiple: true },
    out: { type: 'string' },
    dot: { type: 'string' },
    'max-candidates': { type: 'string' },
  });
  const pools = (values.pool as string[] | undefined) ?? [];
  if (pools.length === 0) throw new ConfigError('--pool is required (a file or folder; repeatable)');
  if (!values.out) throw new ConfigError('--out is required');
  const config = GraphConfig.parse({
    maxCandidates:
      values['max-candidates'] === undefined
        ? undefined
        : flag('max-candidates', count, values['max-candidates']),
  });
  const poolPaths = pools.map((p) => path.resolve(p));
  const pool = await loadPool(poolPaths);
  const graph = { ...buildGraphOffline(pool.functions, config), pool: poolPaths };
  await writeAtomic(path.resolve(values.out as string), JSON.stringify(graph, null, 1));
  if (values.dot) {
    const { toDot } = await import('../core/graph');
    await writeAtomic(path.resolve(values.dot as string), toDot(graph));
  }
  const s = graph.stats;
  console.log(`graph: ${s.nodes} nodes, ${s.edges} edges (judge ${graph.judge}) -> ${values.out}`);
  console.log(
    `  relations: ${Object.entries(s.byRelation)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  );
  console.log(
    `  out-degree min/median/mean/max: ${s.outDegree.min}/${s.outDegree.median}/${s.outDegree.mean}/${s.outDegree.max}`,
  );
  console.log(
    `  in-degree  min/median/mean/max: ${s.inDegree.min}/${s.inDegree.median}/${s.inDegree.mean}/${s.inDegree.max}`,
  );
  console.log(`  with out-edges: ${s.withOutEdges}, isolated: ${s.isolated}`);
  for (const [cat, c] of Object.entries(s.categories))
    console.log(`  ${cat}: ${c.nodes} functions, ${c.edges} edges`);
  return 0;
}

async function cmdPaths(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    graph: { type: 'string' },
    pool: { type: 'string', multiple: true },
    n: { type: 'string' },
    seed: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (!values.graph) throw new ConfigError('--graph is required');
  const raw = (await readJson(path.resolve(values.graph as string)).catch(() => {
    throw new ConfigError(`${values.graph}: cannot read graph file`);
  })) as { pool?: string[] };
  const parsed = Graph.safeParse(raw);
  if (!parsed.success)
    throw new ConfigError(`${values.graph}: not a magnet graph (${parsed.error.issues[0]?.message})`);
  const poolPaths = (values.pool as string[] | undefined)?.map((p) => path.resolve(p)) ?? raw.pool;
  if (!poolPaths) throw new ConfigError('--pool is required (the graph does not record its pool)');
  const pool = indexPool(await loadPool(poolPaths));
  const n = values.n === undefined ? 20 : flag('n', count, values.n);
  const seed = values.seed === undefined ? 7 : flag('seed', z.coerce.number().int().min(0), values.seed);
  const ops = OpsConfig.parse({});
  for (let i = 0; i < n; i++) {
    const plan = planConversation({
      graph: parsed.data,
      pool,
      seed: deriveSeed(seed, 'conversation', i),
      ops,
      distractors: 3,
    });
    if (values.json) console.log(JSON.stringify(plan));
    else {
      const t = plan.fsp.trace;
      console.log(
        `FSP ${i + 1}: walk ${plan.fsp.walk.join(' -> ')}\n  merges ${t.merges}/${t.mergeBoundaries}, inserts short ${t.insertsShort} long ${t.insertsLong}, split ${t.split}`,
      );
      console.log(describeFsp(plan.fsp));
    }
  }
  return 0;
}

async function cmdServer(argv: string[]): Promise<number> {
  const { positionals } = parse(argv, {});
  switch (positionals[0]) {
    case 'start': {
      const s = await startLocalServer();
      console.log(`Temporal dev server running: ${s.address} (pid ${s.pid}), UI ${s.uiUrl}, db ${s.dbFile}`);
      return 0;
    }
    case 'stop':
      console.log((await stopLocalServer()) ? 'stopped' : 'not running');
      return 0;
    case 'status': {
      const s = await localServerStatus();
      console.log(
        s.running ? `running: ${s.address} (pid ${s.pid}), UI ${s.uiUrl}, db ${s.dbFile}` : 'not running',
      );
      return s.running ? 0 : 1;
    }
    default:
      throw new ConfigError('usage: magnet server start|stop|status');
  }
}
