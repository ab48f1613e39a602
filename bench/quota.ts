/**
 * `npm run bench -- --only quota`: how much of a provider's quota a run uses. A fake OpenAI provider with a
 * hard cap (MAGNET_BENCH_CAP requests/s, default 8, as a sliding 1-s window; 429 with Retry-After beyond)
 * and 400 ms latency serves every role of a run configured with `requestsPerSecond` = the cap and the default
 * conversations in flight; once with one worker process, once with two (each a separate process, like
 * `magnet worker --run`, so the share of each comes from Temporal's count of the queue's pollers).
 *
 * Printed per case: answers/s in steady state (from 5 s into the conversations phase until fewer than TAIL
 * conversations are left) and as % of the cap, 429s as % of requests, failed conversations, and requests in
 * flight at the provider (mean of 100-ms samples). Targets: >= 90% of the cap, < 2% 429s, 0 failed.
 *   MAGNET_BENCH_QUOTA_CONVERSATIONS (default 40), MAGNET_BENCH_CAP (8), MAGNET_BENCH_LATENCY_MS (400);
 *   MAGNET_BENCH_QUOTA_UNPACED=1 adds a third case, one worker without requestsPerSecond (AIMD alone; shown,
 *   not held to the targets); =only runs only that one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { prepareRun } from '../src/cli/run';
import type { RunInput } from '../src/core/config';
import { ensureSearchAttributes } from '../src/server/search-attributes';
import { createWorkers, installRuntime } from '../src/worker';
import { RUN_WORKFLOW, type RunWorkflow } from '../src/contracts';
import { startFakeOpenAI, type FakeServer } from '../test/fakes';
import { startBenchServer } from './server';
import { progressQuery } from '../src/contracts';

const KEY_ENV = 'MAGNET_BENCH_QUOTA_KEY';
/** Steady state ends when fewer conversations than this are left (the run's tail cannot feed the pacer). */
const TAIL = 10;

interface CaseResult {
  workers: number;
  /** Run without requestsPerSecond (AIMD only): informative, not held to the targets. */
  unpaced: boolean;
  steadySeconds: number;
  answersPerSecond: number;
  capShare: number;
  share429: number;
  share429All: number;
  failed: number;
  failures: Record<string, number>;
  conversations: number;
  inFlight: number;
  maxInAnySecond: number;
  conversationsInFlight: number;
  /** Mean 1-min load average during the case (2 cores shared with other work distort the figures). */
  load: number;
}

/** A worker process of the bench (`node dist/bench/quota.js --worker <input.json>`): `magnet worker --run`. */
async function workerProcess(inputFile: string): Promise<void> {
  installRuntime('ERROR');
  const address = process.env.TEMPORAL_ADDRESS as string;
  const input = JSON.parse(readFileSync(inputFile, 'utf8')) as RunInput;
  const workers = await createWorkers({ address, config: input.config, taskQueue: input.taskQueue });
  const client = new Client({ connection: await Connection.connect({ address }) });
  console.log('ready');
  // runs until the run ends (the bench starts the run once every worker is ready)
  const done = (async () => {
    for (;;) {
      try {
        return await client.workflow.getHandle(input.runId).result();
      } catch {
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  })();
  await Promise.all(workers.map((w) => w.worker.runUntil(done)));
  for (const w of workers) await w.connection.close();
  await client.connection.close();
}

function spawnWorker(inputFile: string, env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const child = spawn(process.execPath, [__filename, '--worker', inputFile], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bench worker exited (${code}) before it was ready`)));
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve(child);
    });
  });
}

async function runCase(opts: {
  workers: number;
  unpaced: boolean;
  dir: string;
  address: string;
  client: Client;
  fake: FakeServer;
  conversations: number;
  cap: number;
}): Promise<CaseResult> {
  const { dir, fake, cap } = opts;
  const configFile = path.join(dir, `quota-${opts.workers}${opts.unpaced ? '-unpaced' : ''}.json`);
  writeFileSync(
    configFile,
    JSON.stringify({
      name: 'quota',
      pool: 'pool',
      // a seed per case: the LLM cache (shared folder) must not answer one case's requests from another's
      seed: opts.workers + (opts.unpaced ? 10 : 0),
      conversations: opts.conversations,
      llm: {
        providers: {
          fake: {
            kind: 'openai',
            baseURL: `${fake.url}/v1`,
            apiKeyEnv: KEY_ENV,
            ...(opts.unpaced ? {} : { requestsPerSecond: cap }),
            timeoutMs: 30_000,
          },
        },
        default: { provider: 'fake', model: 'bench-model' },
      },
    }),
  );
  const runId = `quota-${opts.workers}w${opts.unpaced ? '-unpaced' : ''}-${Date.now()}`;
  // a queue of its own per case: the pollers of the previous case's workers linger in the queue's description
  const input: RunInput = {
    ...(await prepareRun(configFile, { runId })),
    taskQueue: `bench-${runId}`,
    searchAttributes: await ensureSearchAttributes(opts.client),
  };
  const inputFile = path.join(dir, `${runId}.input.json`);
  writeFileSync(inputFile, JSON.stringify(input));
  const env = { ...process.env, TEMPORAL_ADDRESS: opts.address };
  const children: ChildProcess[] = [];
  for (let i = 0; i < opts.workers; i++) children.push(await spawnWorker(inputFile, env));
  const exited = children.map((c) => new Promise((r) => c.once('exit', r)));

  const firstIndex = fake.log.length;
  const t0 = Date.now();
  const handle = await opts.client.workflow.start<RunWorkflow>(RUN_WORKFLOW, {
    taskQueue: input.taskQueue,
    workflowId: runId,
    args: [input],
  });
  const done = handle.result();
  let conversationsFrom: number | undefined;
  let tailFrom: number | undefined;
  const samples: { at: number; n: number }[] = [];
  const sampler = setInterval(() => {
    let n = 0;
    for (let i = fake.log.length - 1; i >= firstIndex; i--) {
      const e = fake.log[i];
      if (e && e.outcome === 'pending' && e.abandonedAt === undefined) n++;
      if (e && Date.now() - e.time > 60_000) break;
    }
    samples.push({ at: Date.now(), n });
  }, 100);
  const loads: number[] = [];
  const ticker = setInterval(() => {
    handle.query(progressQuery).then(
      (p) => {
        const now = Date.now();
        loads.push(os.loadavg()[0] ?? 0);
        if (p.phase === 'conversations' && conversationsFrom === undefined) conversationsFrom = now;
        // the tail: too few conversations left to keep the pacer fed
        if (p.planned > 0 && p.planned - p.completed - p.failed < TAIL && tailFrom === undefined)
          tailFrom = now;
        process.stderr.write(
          `\r${opts.workers} worker(s): ${p.phase}, ${p.completed + p.failed}/${p.planned} in ${((now - t0) / 1000).toFixed(0)} s, ${fake.log.length - firstIndex} requests   `,
        );
      },
      () => undefined,
    );
  }, 1000);
  const summary = await done;
  clearInterval(sampler);
  clearInterval(ticker);
  process.stderr.write('\n');
  await Promise.all(exited);

  const log = fake.log.slice(firstIndex);
  // for a closer look: every request's arrival and outcome, the in-flight samples, the steady window
  writeFileSync(
    path.join(dir, `${runId}.requests.json`),
    JSON.stringify({
      window: [(conversationsFrom ?? t0) + 5000, tailFrom],
      requests: log.map((e) => [e.time, e.outcome, e.role]),
      inFlight: samples.map((x) => [x.at, x.n]),
    }),
  );
  const from = (conversationsFrom ?? t0) + 5000;
  const to = tailFrom ?? Date.now();
  const inWindow = log.filter((e) => e.time >= from && e.time < to);
  const seconds = Math.max(0.001, (to - from) / 1000);
  const answers = inWindow.filter((e) => e.status === 200).length;
  const refused = inWindow.filter((e) => e.outcome === '429').length;
  // the provider's own view: the most requests it admitted in any 1-s window of the whole run
  const admitted = log.filter((e) => e.outcome !== '429').map((e) => e.time);
  let maxInAnySecond = 0;
  for (let i = 0, j = 0; i < admitted.length; i++) {
    while ((admitted[i] as number) - (admitted[j] as number) >= 1000) j++;
    maxInAnySecond = Math.max(maxInAnySecond, i - j + 1);
  }
  const windowSamples = samples.filter((s) => s.at >= from && s.at < to);
  return {
    workers: opts.workers,
    unpaced: opts.unpaced,
    steadySeconds: seconds,
    answersPerSecond: answers / seconds,
    capShare: answers / seconds / cap,
    share429: inWindow.length ? refused / inWindow.length : 0,
    share429All: log.length ? log.filter((e) => e.outcome === '429').length / log.length : 0,
    failed: summary.failed,
    failures: summary.failures,
    conversations: summary.conversations,
    inFlight: windowSamples.reduce((a, s) => a + s.n, 0) / Math.max(1, windowSamples.length),
    maxInAnySecond,
    conversationsInFlight: input.config.concurrency.conversations,
    load: loads.reduce((a, l) => a + l, 0) / Math.max(1, loads.length),
  };
}

export async function quotaBench(): Promise<void> {
  const conversations = Number(process.env.MAGNET_BENCH_QUOTA_CONVERSATIONS ?? 40);
  const cap = Number(process.env.MAGNET_BENCH_CAP ?? 8);
  const latencyMs = Number(process.env.MAGNET_BENCH_LATENCY_MS ?? 400);
  installRuntime('ERROR');
  process.env[KEY_ENV] = 'sk-bench-quota';
  const dir = mkdtempSync(path.join(os.tmpdir(), 'magnet-bench-quota-'));
  process.env.MAGNET_HOME = dir;
  cpSync(path.join(__dirname, '..', '..', 'examples', 'pool'), path.join(dir, 'pool'), { recursive: true });
  const server = await startBenchServer(dir);
  const fake = await startFakeOpenAI({ latencyMs, capPerSecond: cap });
  const results: CaseResult[] = [];
  try {
    const address = server.address;
    const client = new Client({ connection: await Connection.connect({ address }) });
    for (const workers of process.env.MAGNET_BENCH_QUOTA_UNPACED === 'only' ? [] : [1, 2]) {
      results.push(
        await runCase({ workers, unpaced: false, dir, address, client, fake, conversations, cap }),
      );
    }
    if (process.env.MAGNET_BENCH_QUOTA_UNPACED) {
      results.push(
        await runCase({ workers: 1, unpaced: true, dir, address, client, fake, conversations, cap }),
      );
    }
    await client.connection.close();
  } finally {
    await fake.close();
    server.stop();
  }
  console.log(
    `provider cap ${cap} requests/s (sliding 1-s window, 429 + Retry-After beyond), latency ${latencyMs} ms; ` +
      `requestsPerSecond ${cap}; ${conversations} conversations (in flight: the default); ${os.availableParallelism()} CPUs`,
  );
  let ok = true;
  for (const r of results) {
    const pass = r.capShare >= 0.9 && r.share429 < 0.02 && r.failed === 0;
    if (!r.unpaced) ok &&= pass;
    console.log(
      `${r.workers} worker process(es)${r.unpaced ? ' without requestsPerSecond' : ''}, ${r.conversationsInFlight} conversations in flight: ${r.answersPerSecond.toFixed(2)} answers/s = ${(r.capShare * 100).toFixed(1)}% of the cap ` +
        `over ${r.steadySeconds.toFixed(0)} s of steady state; 429s ${(r.share429 * 100).toFixed(2)}% of requests ` +
        `(whole run ${(r.share429All * 100).toFixed(2)}%); ${r.failed} failed of ${r.conversations + r.failed}${r.failed ? ` ${JSON.stringify(r.failures)}` : ''}; ` +
        `requests in flight ${r.inFlight.toFixed(2)} (mean); most admitted in any 1 s: ${r.maxInAnySecond}; load average ${r.load.toFixed(1)} -> ${pass ? 'OK' : 'MISSED'}`,
    );
  }
  console.log(`requests of each case: ${dir}/*.requests.json`);
  if (!ok) process.exitCode = 1;
}

if (require.main === module && process.argv[2] === '--worker') {
  workerProcess(process.argv[3] as string).then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
