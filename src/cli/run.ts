import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { RunInput, type RunConfig } from '../core/config';
import { Graph } from '../core/graph';
import { PoolError } from '../core/pool';
import { ConfigError, loadConfig } from '../io/config-file';
import { readJson } from '../io/files';
import { loadPool } from '../io/pool-files';
import { createWorkers, TASK_QUEUE } from '../worker';
import { progressQuery, synthesisRun, type RunProgress } from '../workflows/run';
import type { RunSummary } from '../activities/export';
import { dataDir } from './paths';
import { ProgressPrinter } from './progress';
import { ensureTemporal } from './server';
import { temporalConnection } from './connection';
import { ensureSearchAttributes } from './search-attributes';
import { MagnetRun } from '../workflows/search-attributes';
import { runInputOf } from './control';

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/**
 * Everything checkable before spending anything: the config, the pool files, the graph file. Throws a
 * ConfigError/PoolError whose message names the file, item and field.
 */
export async function prepareRun(
  configFile: string,
  opts: { runId?: string; conversations?: number; noCache?: boolean } = {},
): Promise<RunInput> {
  const { config: loaded, baseDir } = await loadConfig(configFile);
  const config: RunConfig = {
    ...loaded,
    conversations: opts.conversations ?? loaded.conversations,
    llm: opts.noCache ? { ...loaded.llm, cache: false } : loaded.llm,
  };
  const poolPaths = (Array.isArray(config.pool) ? config.pool : [config.pool]).map((p) =>
    path.resolve(baseDir, p),
  );
  const pool = await loadPool(poolPaths);
  let graphPath: string | undefined;
  if (config.graph) {
    graphPath = path.resolve(baseDir, config.graph);
    const g = Graph.safeParse(await readJson(graphPath).catch(() => undefined));
    if (!g.success) throw new ConfigError(`${graphPath}: not a readable magnet graph (config field graph)`);
    const names = new Set(pool.functions.map((f) => f.name));
    const unknown = g.data.nodes.find((n) => !names.has(n.name));
    if (unknown) throw new PoolError(`${graphPath}: function ${unknown.name} is not in the pool`);
  }
  const runId = opts.runId ?? `${config.name ?? 'run'}-${stamp(new Date())}`;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$/.test(runId))
    throw new ConfigError(`--run-id ${runId}: letters, digits, . _ - only`);
  const outDir = config.output
    ? path.resolve(baseDir, config.output, runId)
    : path.join(dataDir(), 'runs', runId);
  const prompts: Record<string, string> = {};
  for (const [role, file] of Object.entries(config.llm.prompts)) {
    if (!file) continue;
    const full = path.resolve(baseDir, file);
    prompts[role] = await fs.readFile(full, 'utf8').catch(() => {
      throw new ConfigError(`${configFile} field llm.prompts.${role}: cannot read ${full}`);
    });
  }
  return RunInput.parse({
    runId,
    config,
    poolPaths,
    graphPath,
    outDir,
    storeDir: path.join(dataDir(), 'store'),
    cacheDir: path.join(dataDir(), 'llm-cache'),
    taskQueue: TASK_QUEUE,
    prompts,
  });
}

/** A client for the server at `address`, with namespace, TLS, API key and headers from Temporal's env config. */
export async function connectClient(address: string): Promise<Client> {
  const { namespace, ...connectOptions } = temporalConnection(address);
  const connection = await Connection.connect(connectOptions);
  return new Client({ connection, namespace });
}

/** Polls the run's progress query until it finishes; the run goes on whether or not anyone watches. */
export async function watchRun(
  handle: WorkflowHandle<typeof synthesisRun>,
  printer = new ProgressPrinter(),
): Promise<RunSummary> {
  let finished = false;
  const result = handle.result().finally(() => (finished = true));
  while (!finished) {
    try {
      const p: RunProgress = await handle.query(progressQuery);
      printer.update(p);
    } catch {
      // the workflow may be between tasks (or continuing as new); the next poll will see it
    }
    await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, 500))]);
  }
  printer.done();
  return result;
}

export interface LaunchOptions {
  detach?: boolean;
  /** Run a worker inside this process (the default for a single machine). */
  worker?: boolean;
}

export async function launchRun(input: RunInput, opts: LaunchOptions = {}): Promise<RunSummary | undefined> {
  const server = await ensureTemporal();
  const client = await connectClient(server.address);
  input = { ...input, searchAttributes: await ensureSearchAttributes(client, client.options.namespace) };
  const handle = await client.workflow.start(synthesisRun, {
    taskQueue: TASK_QUEUE,
    workflowId: input.runId,
    args: [input],
    memo: { outDir: input.outDir, conversations: input.config.conversations },
    staticSummary: `magnet run: ${input.config.conversations} conversations`,
    ...(input.searchAttributes ? { typedSearchAttributes: [{ key: MagnetRun, value: input.runId }] } : {}),
  });
  console.log(`run ${input.runId} started on ${server.address}; output: ${input.outDir}`);
  if (server.uiUrl)
    console.log(
      `Temporal UI: ${server.uiUrl}/namespaces/${client.options.namespace}/workflows/${encodeURIComponent(input.runId)}`,
    );
  if (opts.detach) return undefined;
  if (opts.worker === false) return watchRun(handle);
  return watchWithWorkers(handle, server.address, input);
}

/** Runs this process's workers for the run until it ends, showing its progress meanwhile. */
async function watchWithWorkers(
  handle: WorkflowHandle<typeof synthesisRun>,
  address: string,
  input: RunInput,
): Promise<RunSummary> {
  const workers = await createWorkers({ address, config: input.config, taskQueue: input.taskQueue });
  try {
    const watching = watchRun(handle);
    await Promise.all(workers.map((w) => w.worker.runUntil(watching)));
    return await watching;
  } finally {
    for (const w of workers) await w.connection.close();
  }
}

/** Watches (and, by default, works on) a run started earlier, e.g. with --detach or by another client. */
export async function attachRun(runId: string, opts: { worker?: boolean } = {}): Promise<RunSummary> {
  const server = await ensureTemporal();
  const client = await connectClient(server.address);
  const handle = client.workflow.getHandle<typeof synthesisRun>(runId);
  if (opts.worker === false) return watchRun(handle);
  return watchWithWorkers(handle, server.address, await runInputOf(client, runId));
}
