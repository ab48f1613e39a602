import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { WorkerOptions } from '@temporalio/worker';
import { connect } from '../client';
import { resolveRole, resolveRoleSettings, type RunConfig } from '../core/config';
import { buildGraphOffline, Graph, GraphConfig, toDot, type GraphStats } from '../core/graph';
import type { Usage } from '../core/usage';
import { formatTokens } from './report';
import { ConfigError, loadConfig } from '../io/config-file';
import { putJson } from '../io/artifacts';
import { writeAtomic } from '../io/files';
import { dataDir } from '../io/paths';
import { loadPool } from '../tools/pool-loader';
import { resolvePoolPath } from '../io/pool-paths';
import { resolvePoolEntries } from '../tools/sources';
import { homeLayout, newRunDir, runLayout } from '../io/run-layout';
import { preflight } from '../llm/preflight';
import { ensureSearchAttributes } from '../server/search-attributes';
import { runTaskQueue } from '../server/task-queue';
import { createWorkers } from '../worker';
import { GRAPH_WORKFLOW, graphWorkflowId, type GraphWorkflow } from '../contracts';
import { readGraphFile, writeGraphHtml } from './graph-inspect';
import { stamp } from './run';

/** `magnet graph` and `magnet paths`: the graph and FSP stages on their own, offline, without Temporal. */

export async function buildGraphFile(opts: {
  pool: string[];
  out: string;
  dot?: string;
  html?: string;
  category?: string;
  maxCandidates?: number;
}): Promise<void> {
  const config = GraphConfig.parse({ maxCandidates: opts.maxCandidates });
  const poolPaths = opts.pool.map((p) => resolvePoolPath(p));
  const pool = await loadPool(poolPaths);
  const graph = { ...buildGraphOffline(pool.functions, config), pool: poolPaths };
  await writeAtomic(path.resolve(opts.out), JSON.stringify(graph, null, 1));
  if (opts.dot) await writeAtomic(path.resolve(opts.dot), toDot(graph));
  printStats(graph, opts.out);
  if (opts.html) await writeGraphHtml(graph, opts.html, opts.category);
}

function printStats(graph: Pick<Graph, 'stats' | 'judge'>, out: string): void {
  const s: GraphStats = graph.stats;
  console.log(`graph: ${s.nodes} nodes, ${s.edges} edges (judge ${graph.judge}) -> ${out}`);
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
}

/**
 * `magnet graph --config C`: the graph a run of C would build, with C's dependency judge (LLM or offline).
 * It runs the run's own `buildGraph` workflow (as a top-level workflow, with a worker in this process), so
 * batching (one judge request per function, each its own step), retries, the answer cache and the call
 * ledger are exactly a run's: the requests are accounted in `runs/<id>/llm-calls.jsonl` like a run's, and a
 * later run that names the written file in its config's `graph` field judges nothing again.
 */
export async function buildGraphWithConfig(opts: {
  config: string;
  out: string;
  dot?: string;
  html?: string;
  category?: string;
  pool?: string[];
  maxCandidates?: number;
  cache: boolean;
  preflight: boolean;
  /** For tests: options of the in-process workers (e.g. a prebuilt workflow bundle). */
  workerOptions?: Partial<WorkerOptions>;
}): Promise<{ graph: Graph; usage: Usage; runId: string; ledger: string }> {
  const { config, baseDir } = await loadConfig(opts.config);
  const { poolPaths, poolSources } = opts.pool
    ? { poolPaths: opts.pool.map((p) => resolvePoolPath(p)), poolSources: [] }
    : resolvePoolEntries(config.pool, baseDir, opts.config);
  const graphConfig = GraphConfig.parse({
    ...config.graphBuild,
    ...(opts.maxCandidates !== undefined ? { maxCandidates: opts.maxCandidates } : {}),
  });
  // only the judge's provider is checked and served: the other roles do not run here
  const judgeOnly: RunConfig = {
    ...config,
    llm: {
      ...config.llm,
      cache: opts.cache ? config.llm.cache : false,
      default: resolveRoleSettings(config.llm, 'dependency_judge'),
      roles: {},
    },
  };
  const promptFile = config.llm.prompts.dependency_judge;
  const prompts: Record<string, string> = {};
  if (promptFile) {
    const full = path.resolve(baseDir, promptFile);
    prompts.dependency_judge = await fs.readFile(full, 'utf8').catch(() => {
      throw new ConfigError(`${opts.config} field llm.prompts.dependency_judge: cannot read ${full}`);
    });
  }
  const runId = `${config.name ?? 'run'}-graph-${stamp(new Date())}`;
  const home = homeLayout(dataDir());
  const outDir = newRunDir(home, runId, { baseDir, dir: config.output });
  const layout = runLayout(outDir);
  const judge = resolveRole(
    judgeOnly.llm,
    'dependency_judge',
    { cacheDir: home.cache, ledgerFile: layout.llmCalls },
    prompts,
  );
  if (opts.preflight) await preflight(judgeOnly);
  // the pool stored as the run's loadPool activity stores it: the graph workflow reads it by its ref
  const poolRef = await putJson(home.store, await loadPool(poolPaths, poolSources));

  const { client, server } = await connect({ startLocal: true });
  const taskQueue = runTaskQueue(runId);
  const searchAttributes = await ensureSearchAttributes(client, client.options.namespace);
  const handle = await client.workflow.start<GraphWorkflow>(GRAPH_WORKFLOW, {
    taskQueue,
    workflowId: graphWorkflowId(runId),
    staticSummary: 'dependency graph (magnet graph --config)',
    args: [
      { storeDir: home.store, poolRef, config: graphConfig, outDir, judge, taskQueue, searchAttributes },
    ],
  });
  console.log(
    `building the graph with ${judge.provider === 'llm' ? `${judge.providerName}/${judge.model}` : 'the offline judge'}: workflow ${handle.workflowId} on ${server.address}`,
  );
  const workers = await createWorkers({
    address: server.address,
    config: judgeOnly,
    taskQueue,
    options: opts.workerOptions,
  });
  const result = handle.result();
  const stopped = await Promise.allSettled(workers.map((w) => w.worker.runUntil(result)));
  for (const w of workers) await w.connection.close();
  await client.connection.close();
  const built = await result.catch((e: unknown) => {
    const failed = stopped.find((s) => s.status === 'rejected');
    throw failed ? failed.reason : e;
  });
  const { graph } = await readGraphFile(built.file);
  const written = { ...graph, pool: poolPaths };
  await writeAtomic(path.resolve(opts.out), JSON.stringify(written, null, 1));
  if (opts.dot) await writeAtomic(path.resolve(opts.dot), toDot(graph));
  printStats(graph, opts.out);
  const u = built.usage;
  console.log(
    `  judge requests: ${u.requests} sent (+${u.cached} from cache), ${formatTokens(u)}, $${u.costUsd.toFixed(4)}; ledger ${layout.llmCalls}`,
  );
  if (opts.html) await writeGraphHtml(graph, opts.html, opts.category);
  return { graph, usage: u, runId, ledger: layout.llmCalls };
}
