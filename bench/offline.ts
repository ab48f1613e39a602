/**
 * `npm run bench` (or `--only offline`): a large offline run on a private local Temporal dev server, printing
 * throughput (conversations and activities per second), the same steps run in one process without Temporal
 * (the baseline, and the ratio: what orchestration costs), the size of the largest workflow history (the limit
 * that continue-as-new and child workflows guard) and the process's RSS.
 * `--only memory`: 10,000 conversations, RSS of the worker process at 2,000 and at 10,000 (the growth).
 * `--only llm`: the same with every role on a zero-latency fake OpenAI server (LLM steps are normal activities).
 * `--quick`: a small run (< 3 min) that fails only on errors, for CI.
 *   MAGNET_BENCH_CONVERSATIONS (default 2000; memory 10000; quick 60), MAGNET_BENCH_CONCURRENCY (default 32),
 *   MAGNET_BENCH_BATCH (children per run execution; default: the run's own), MAGNET_BENCH_BASELINE (200)
 */
import { cpSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { loadGraphActivity, loadPoolActivity } from '../src/activities/pool';
import { prepareRun } from '../src/cli/run';
import { deriveSeed } from '../src/core/rng';
import { runLayout } from '../src/io/run-layout';
import { ensureSearchAttributes } from '../src/server/search-attributes';
import { createWorkers } from '../src/worker';
import { runRoles } from '../src/core/config';
import { RUN_WORKFLOW, type RunWorkflow } from '../src/contracts';
import { inProcessBaseline } from './in-process';
import { machine } from './machine';
import { startFakeOpenAI } from '../test/fakes';
import { startBenchServer } from './server';
import { progressQuery } from '../src/contracts';

export interface OfflineBenchOptions {
  /** CI mode: small sizes, fails only on errors (no figure is a target here). */
  quick?: boolean;
  conversations?: number;
  /** Skip the in-process baseline (the memory bench measures the worker only). */
  baseline?: boolean;
  /**
   * Every role on a fake OpenAI server answering at once (no latency, no cap, no requestsPerSecond): what
   * orchestration allows for LLM steps, each a normal activity on the provider's queue. No baseline (the
   * in-process steps would be answered by the LLM cache the run filled).
   */
  llm?: boolean;
}

const LLM_KEY_ENV = 'MAGNET_BENCH_LLM_KEY';

const MiB = (b: number): string => `${(b / 1024 / 1024).toFixed(0)} MiB`;

export async function offlineBench(opts: OfflineBenchOptions = {}): Promise<void> {
  const conversations = Number(
    process.env.MAGNET_BENCH_CONVERSATIONS ?? opts.conversations ?? (opts.quick ? 60 : 2000),
  );
  const concurrency = Number(process.env.MAGNET_BENCH_CONCURRENCY ?? 32);
  const batchEnv = process.env.MAGNET_BENCH_BATCH ?? (opts.quick ? '20' : undefined);
  const batch = batchEnv !== undefined ? Number(batchEnv) : undefined;
  const baselineN = Number(process.env.MAGNET_BENCH_BASELINE ?? (opts.quick ? 20 : 200));
  console.log(`machine: ${machine()}`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'magnet-bench-'));
  const server = await startBenchServer(dir);
  process.env[LLM_KEY_ENV] = 'sk-bench-llm';
  const fake = opts.llm ? await startFakeOpenAI({ latencyMs: 0 }) : undefined;
  try {
    const address = server.address;
    cpSync(path.join(__dirname, '..', '..', 'examples', 'pool'), path.join(dir, 'pool'), { recursive: true });
    const configFile = path.join(dir, 'bench.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        name: 'bench',
        pool: 'pool',
        seed: 1,
        conversations,
        // multi-turn conversations, as the in-process baseline and the issue's figures count them (the mix's
        // single-turn items are cheaper and would flatter the rate)
        mix: { multi_turn: 1 },
        concurrency: { conversations: concurrency },
        ...(fake
          ? {
              llm: {
                providers: {
                  fake: { kind: 'openai', baseURL: `${fake.url}/v1`, apiKeyEnv: LLM_KEY_ENV },
                },
                default: { provider: 'fake', model: 'bench-model' },
              },
            }
          : {}),
      }),
    );
    process.env.MAGNET_HOME = dir;
    const client = new Client({ connection: await Connection.connect({ address }) });
    const input = {
      ...(await prepareRun(configFile, { runId: `bench-${Date.now()}` })),
      searchAttributes: await ensureSearchAttributes(client),
    };
    // every activity execution, local or not, passes here: the activities/s figure
    let activityCount = 0;
    // per activity type: executions, time from scheduled to started (queueing: the server, pollers, slots)
    // and time running (the step itself): where a step's time goes
    const steps = new Map<string, { n: number; waitMs: number; runMs: number }>();
    const countActivities: ActivityInterceptorsFactory = (ctx) => ({
      inbound: {
        execute: async (i, next) => {
          activityCount++;
          const t = Date.now();
          const s = steps.get(ctx.info.activityType) ?? { n: 0, waitMs: 0, runMs: 0 };
          steps.set(ctx.info.activityType, s);
          s.n++;
          if (!ctx.info.isLocal) s.waitMs += Math.max(0, t - ctx.info.currentAttemptScheduledTimestampMs);
          try {
            return await next(i);
          } finally {
            s.runMs += Date.now() - t;
          }
        },
      },
    });
    const workers = await createWorkers({
      address,
      config: input.config,
      taskQueue: input.taskQueue,
      options: { maxConcurrentWorkflowTaskExecutions: 64, interceptors: { activity: [countActivities] } },
    });
    const t0 = Date.now();
    // how late the process's event loop runs what is due: steps, pollers and the fake share it
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    let peakRss = 0;
    // RSS when a fifth of the conversations and when all have ended (2,000 and 10,000 in the memory bench)
    const rssAt = new Map<number, number>();
    const rssPoints = [Math.round(conversations / 5), conversations];
    const handle = await client.workflow.start<RunWorkflow>(RUN_WORKFLOW, {
      taskQueue: input.taskQueue,
      workflowId: input.runId,
      args: batch !== undefined ? [input, undefined, batch] : [input],
    });
    const done = handle.result();
    // with --expose-gc (npm run bench), the heap is collected before a checkpoint's RSS is read: less noise
    const gc = (globalThis as { gc?: () => void }).gc;
    let query: Promise<unknown> = Promise.resolve();
    const ticker = setInterval(() => {
      const rss = process.memoryUsage().rss;
      peakRss = Math.max(peakRss, rss);
      query = handle.query(progressQuery).then(
        (p) => {
          const ended = p.completed + p.failed;
          for (const at of rssPoints)
            if (ended >= at && !rssAt.has(at)) {
              gc?.();
              rssAt.set(at, process.memoryUsage().rss);
            }
          process.stderr.write(
            `\r${ended}/${p.planned} in ${((Date.now() - t0) / 1000).toFixed(0)}s, RSS ${MiB(rss)}   `,
          );
        },
        () => undefined,
      );
    }, 2000);
    await Promise.all(workers.map((w) => w.worker.runUntil(done)));
    const summary = await done;
    clearInterval(ticker);
    // a query still in flight would retry on the closed connection below and throw
    await query;
    if (!rssAt.has(conversations)) {
      gc?.();
      rssAt.set(conversations, process.memoryUsage().rss);
    }
    const seconds = (Date.now() - t0) / 1000;
    process.stderr.write('\n');

    // largest history among the run's executions (parent chain, graph, every conversation)
    let largest = { id: '', events: 0, bytes: 0 };
    let parentExecutions = 0;
    let parentMax = { events: 0, bytes: 0 };
    for await (const wf of client.workflow.list({ query: `WorkflowId STARTS_WITH '${input.runId}'` })) {
      const events = Number(wf.historyLength);
      const bytes = Number(wf.historySize ?? 0);
      if (wf.workflowId === input.runId) {
        parentExecutions++;
        if (bytes > parentMax.bytes || events > parentMax.events) parentMax = { events, bytes };
      }
      if (events > largest.events) largest = { id: `${wf.workflowId} (${wf.runId})`, events, bytes };
    }
    // the longest workflow task of the run's executions (the default timeout is 10 s) and any that timed out
    let longestTask = 0;
    let timedOut = 0;
    for await (const wf of client.workflow.list({ query: `WorkflowId = '${input.runId}'` })) {
      const history = await client.workflow.getHandle(input.runId, wf.runId).fetchHistory();
      let started = 0;
      for (const e of history.events ?? []) {
        if (e.workflowTaskStartedEventAttributes) started = tsToMs(e.eventTime);
        if (e.workflowTaskCompletedEventAttributes)
          longestTask = Math.max(longestTask, tsToMs(e.eventTime) - started);
        if (e.workflowTaskTimedOutEventAttributes) timedOut++;
      }
    }
    const files = readdirSync(runLayout(input.outDir).conversations).length;
    const perSecond = summary.conversations / seconds;
    console.log(
      `conversations: ${summary.conversations} written (${files} files), ${summary.failed} failed, ${summary.turns} turns, ${summary.calls} calls`,
    );
    console.log(
      `Temporal (dev server${fake ? ', every role on a zero-latency fake OpenAI server' : ', offline roles'}): ${seconds.toFixed(1)} s, ${perSecond.toFixed(2)} conversations/s, ${(activityCount / seconds).toFixed(1)} activities/s (${activityCount} activities, concurrency ${concurrency})`,
    );
    lag.disable();
    console.log(
      `event loop delay of the worker process: mean ${(lag.mean / 1e6).toFixed(1)} ms, p99 ${(lag.percentile(99) / 1e6).toFixed(0)} ms, max ${(lag.max / 1e6).toFixed(0)} ms`,
    );
    console.log(
      `activity time (mean per execution: scheduled to started for normal activities, then running): ${[
        ...steps,
      ]
        .sort((x, y) => y[1].n - x[1].n)
        .map(
          ([type, s]) =>
            `${type.replace(/Activity$/, '')} ${s.n}× ${(s.waitMs / s.n).toFixed(0)}+${(s.runMs / s.n).toFixed(0)} ms`,
        )
        .join(', ')}`,
    );
    if (opts.baseline !== false && !opts.llm && baselineN > 0) {
      // the run's own pool and graph (content-addressed: the same refs the run used)
      const { poolRef } = await loadPoolActivity({ poolPaths: input.poolPaths, storeDir: input.storeDir });
      const graph = await loadGraphActivity({
        graphPath: runLayout(input.outDir).graph,
        poolRef,
        storeDir: input.storeDir,
      });
      {
        const base = await inProcessBaseline(
          {
            storeDir: input.storeDir,
            outDir: path.join(dir, 'baseline'),
            poolRef,
            graphRef: graph.graphRef,
            roles: runRoles(input),
            conversationInput: (index) => ({
              seed: deriveSeed(input.config.seed, 'conversation', index),
              ops: input.config.ops,
              distractors: input.config.distractors,
              execution: input.config.execution.mode,
            }),
          },
          baselineN,
        );
        const basePerSecond = base.conversations / base.seconds;
        console.log(
          `in-process baseline (same activities, no Temporal): ${base.conversations} conversations in ${base.seconds.toFixed(1)} s, ${basePerSecond.toFixed(1)} conversations/s, ${(base.activities / base.seconds).toFixed(0)} activities/s; orchestration overhead ${(basePerSecond / perSecond).toFixed(1)}×`,
        );
      }
    }
    console.log(
      `run executions (continue-as-new every ${batch ?? 'default'}): ${parentExecutions}, largest parent history: ${parentMax.events} events, ${(parentMax.bytes / 1024).toFixed(0)} KiB`,
    );
    console.log(
      `longest workflow task of the run: ${(longestTask / 1000).toFixed(2)} s (timeout 10 s), ${timedOut} timed out`,
    );
    console.log(
      `largest workflow history: ${largest.events} events, ${(largest.bytes / 1024).toFixed(0)} KiB (${largest.id}); limit checked: < 10000 -> ${largest.events < 10_000 ? 'OK' : 'EXCEEDED'}`,
    );
    console.log(`peak RSS of the client+worker process: ${MiB(peakRss)}`);
    const at = [...rssAt.entries()].sort((a, b) => a[0] - b[0]);
    if (at.length > 0) {
      console.log(
        `worker RSS${gc ? ' (after a GC)' : ''}: ${at.map(([n, rss]) => `${MiB(rss)} at ${n} conversations`).join(', ')}`,
      );
      const [first, last] = [at[0], at[at.length - 1]];
      if (first && last && last !== first)
        console.log(
          `RSS growth from ${first[0]} to ${last[0]}: ${(((last[1] - first[1]) / first[1]) * 100).toFixed(1)}% (target < 20%)`,
        );
    }
    for (const w of workers) await w.connection.close();
    await client.connection.close();
    if (summary.conversations + summary.failed !== conversations || summary.failed > 0) process.exitCode = 1;
    if (!opts.quick && largest.events >= 10_000) process.exitCode = 1;
  } finally {
    await fake?.close();
    server.stop();
  }
}
