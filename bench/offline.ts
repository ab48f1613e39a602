/**
 * `npm run bench` (or `--only offline`): a large offline run on a private local Temporal dev server, printing
 * throughput and the size of the largest workflow history (the limit that continue-as-new and child workflows
 * guard).
 *   MAGNET_BENCH_CONVERSATIONS (default 2000), MAGNET_BENCH_CONCURRENCY (default 32), MAGNET_BENCH_BATCH (500)
 */
import { cpSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { prepareRun } from '../src/cli/run';
import { runLayout } from '../src/io/run-layout';
import { ensureSearchAttributes } from '../src/temporal/search-attributes';
import { createWorkers } from '../src/worker';
import { synthesisRun, progressQuery } from '../src/workflows/run';
import { startBenchServer } from './server';

export async function offlineBench(): Promise<void> {
  const conversations = Number(process.env.MAGNET_BENCH_CONVERSATIONS ?? 2000);
  const concurrency = Number(process.env.MAGNET_BENCH_CONCURRENCY ?? 32);
  const batch = Number(process.env.MAGNET_BENCH_BATCH ?? 500);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'magnet-bench-'));
  const server = await startBenchServer(dir);
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
        concurrency: { conversations: concurrency },
      }),
    );
    process.env.MAGNET_HOME = dir;
    const client = new Client({ connection: await Connection.connect({ address }) });
    const input = {
      ...(await prepareRun(configFile, { runId: `bench-${Date.now()}` })),
      searchAttributes: await ensureSearchAttributes(client),
    };
    const workers = await createWorkers({
      address,
      config: input.config,
      taskQueue: input.taskQueue,
      options: { maxConcurrentWorkflowTaskExecutions: 64 },
    });
    const t0 = Date.now();
    let peakRss = 0;
    const handle = await client.workflow.start(synthesisRun, {
      taskQueue: input.taskQueue,
      workflowId: input.runId,
      args: [input, undefined, batch],
    });
    const done = handle.result();
    const ticker = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      handle.query(progressQuery).then(
        (p) =>
          process.stderr.write(
            `\r${p.completed + p.failed}/${p.planned} in ${((Date.now() - t0) / 1000).toFixed(0)}s   `,
          ),
        () => undefined,
      );
    }, 2000);
    await Promise.all(workers.map((w) => w.worker.runUntil(done)));
    const summary = await done;
    clearInterval(ticker);
    const seconds = (Date.now() - t0) / 1000;
    process.stderr.write('\n');

    // largest history among the run's executions (parent chain, graph, every conversation)
    let largest = { id: '', events: 0 };
    let parentExecutions = 0;
    let parentMax = 0;
    for await (const wf of client.workflow.list({ query: `WorkflowId STARTS_WITH '${input.runId}'` })) {
      const events = Number(wf.historyLength);
      if (wf.workflowId === input.runId) {
        parentExecutions++;
        parentMax = Math.max(parentMax, events);
      }
      if (events > largest.events) largest = { id: `${wf.workflowId} (${wf.runId})`, events };
    }
    const files = readdirSync(runLayout(input.outDir).conversations).length;
    console.log(
      `conversations: ${summary.conversations} written (${files} files), ${summary.failed} failed, ${summary.turns} turns, ${summary.calls} calls`,
    );
    console.log(
      `wall time: ${seconds.toFixed(1)} s, ${(summary.conversations / seconds).toFixed(2)} conversations/s (concurrency ${concurrency}, ${os.availableParallelism()} CPUs)`,
    );
    console.log(
      `run executions (continue-as-new every ${batch}): ${parentExecutions}, largest parent history: ${parentMax} events`,
    );
    console.log(
      `largest workflow history: ${largest.events} events (${largest.id}); limit checked: < 10000 -> ${largest.events < 10_000 ? 'OK' : 'EXCEEDED'}`,
    );
    console.log(`peak RSS of the client+worker process: ${(peakRss / 1024 / 1024).toFixed(0)} MiB`);
    for (const w of workers) await w.connection.close();
    await client.connection.close();
    if (largest.events >= 10_000 || summary.conversations !== conversations) process.exitCode = 1;
  } finally {
    server.stop();
  }
}
