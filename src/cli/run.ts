import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect, runEnded, runInputOf, startRun, watchRun, type RunHandle } from '../client';
import { RunInput, type RunConfig } from '../core/config';
import { Graph } from '../core/graph';
import { PoolError } from '../core/pool';
import { ConfigError, loadConfig } from '../io/config-file';
import { readJson } from '../io/files';
import { dataDir } from '../io/paths';
import { loadPool } from '../tools/pool-loader';
import { resolvePoolEntries } from '../tools/sources';
import { closeAll } from '../tools/mcp/sessions';
import { preflightTools } from '../tools/preflight';
import { sharedStateWarning, stateScopeOf } from '../tools/state-scope';
import { checkKeys } from '../llm/preflight';
import { homeLayout, newRunDir } from '../io/run-layout';
import { runTaskQueue } from '../server/task-queue';
import { createWorkers } from '../worker';
import { ProgressPrinter } from './progress';
import { estimateRun, writeEstimate } from '../estimate/estimate';
import { writeRunInfo } from '../report/data';
import { writeHtmlReport } from './html-report';
import { type RunSummary } from '../contracts';

/** A run id's time part: yyyymmdd-hhmmss (UTC). */
export function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/**
 * Everything checkable before spending anything: the config, the pool files, the graph file. Throws a
 * ConfigError/PoolError whose message names the file, item and field.
 */
export async function prepareRun(
  configFile: string,
  opts: {
    runId?: string;
    conversations?: number;
    noCache?: boolean;
    taskQueue?: string;
    /** Start each MCP server and reach each OpenAPI service once before loading the pool (tools/preflight). */
    preflight?: boolean;
  } = {},
): Promise<RunInput> {
  const { config: loaded, baseDir } = await loadConfig(configFile);
  const config: RunConfig = {
    ...loaded,
    conversations: opts.conversations ?? loaded.conversations,
    llm: opts.noCache ? { ...loaded.llm, cache: false } : loaded.llm,
  };
  const { poolPaths, poolSources } = resolvePoolEntries(config.pool, baseDir, configFile);
  if (opts.preflight) await preflightTools(poolSources, `${configFile} field pool`);
  const pool = await loadPool(poolPaths, poolSources);
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
  const home = homeLayout(dataDir());
  const outDir = newRunDir(home, runId, { baseDir, dir: config.output });
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
    poolSources,
    graphPath,
    outDir,
    storeDir: home.store,
    cacheDir: home.cache,
    // the run's own queues unless one is named: another run's workers never take its steps
    taskQueue: runTaskQueue(runId, opts.taskQueue),
    prompts,
  });
}

/** Shows the run's progress until it ends. */
export async function showProgress(handle: RunHandle): Promise<RunSummary> {
  const printer = new ProgressPrinter();
  try {
    return await watchRun(handle, (p) => printer.update(p));
  } finally {
    printer.done();
  }
}

export interface LaunchOptions {
  detach?: boolean;
  /** Run a worker inside this process (the default for a single machine). */
  worker?: boolean;
}

/**
 * The run's estimate, stored in its folder before it starts, so `magnet status` and the report can set the
 * actual figures beside it. An estimate that cannot be made never holds up the run: it says why and goes on.
 */
async function storeEstimate(input: RunInput): Promise<void> {
  try {
    await writeEstimate(input.outDir, await estimateRun(input));
  } catch (e) {
    console.log(`note: no estimate stored for this run (${e instanceof Error ? e.message : String(e)})`);
  }
}

/**
 * Per stdio MCP server, whether its state is per conversation; a shared one is a warning (on stderr): every
 * conversation of this run and of other runs reads and writes what it keeps.
 */
function sayStateScopes(input: RunInput): void {
  for (const source of input.poolSources ?? []) {
    const warning = sharedStateWarning(source);
    if (warning) console.warn(warning);
    else if (source.kind === 'mcp' && stateScopeOf(source) === 'per conversation')
      console.log(`MCP server ${source.name}: state per conversation (\${scopeDir} / \${stateFile})`);
  }
}

export async function launchRun(input: RunInput, opts: LaunchOptions = {}): Promise<RunSummary | undefined> {
  sayStateScopes(input);
  await storeEstimate(input);
  const { client, server } = await connect({ startLocal: true });
  const started = await startRun(client, input);
  // what the HTML report cannot learn from the run's files: the config's ops and prices, where the UI is
  await writeRunInfo(input.outDir, {
    runId: input.runId,
    startedAt: new Date().toISOString(),
    ui: server.uiUrl,
    namespace: client.options.namespace,
    ops: input.config.ops,
    conversations: input.config.conversations,
    prices: input.config.llm.prices,
  }).catch(() => undefined);
  console.log(`run ${input.runId} started on ${server.address}; output: ${input.outDir}`);
  if (server.uiUrl)
    console.log(
      `Temporal UI: ${server.uiUrl}/namespaces/${client.options.namespace}/workflows/${encodeURIComponent(input.runId)}`,
    );
  if (opts.detach) return undefined;
  if (opts.worker === false) return showProgress(started.handle);
  return showWithWorkers(started.handle, server.address, started.input);
}

/** The signals on which Temporal's runtime shuts this process's workers down (and so do we, quietly). */
const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/**
 * The CLI was stopped by a signal (Ctrl-C, SIGTERM): its workers shut down, the run goes on on the server.
 * Not an error: the bin prints the message as it is and exits 128 + the signal's number (130, 143).
 */
export class Interrupted extends Error {
  readonly exitCode: number;
  constructor(
    readonly signal: NodeJS.Signals,
    runId: string,
  ) {
    super(
      `stopped by ${signal}: this process's workers shut down; run ${runId} goes on without them ` +
        `(magnet attach ${runId} works on it again, magnet cancel ${runId} ends it)`,
    );
    this.name = 'Interrupted';
    this.exitCode = 128 + (os.constants.signals[signal] ?? 0);
  }
}

/**
 * Runs this process's workers for the run until it ends, showing its progress meanwhile. On SIGINT or
 * SIGTERM, Temporal's runtime shuts the workers down (a step they held runs again on the next worker): that
 * ends the process with Interrupted, not with the error runUntil then reports ("Promise did not resolve
 * within 0ms after Worker completed shutdown"). A second signal ends the process at once (our listeners and
 * the runtime's are gone).
 */
async function showWithWorkers(handle: RunHandle, address: string, input: RunInput): Promise<RunSummary> {
  const workers = await createWorkers({ address, config: input.config, taskQueue: input.taskQueue });
  let signal: NodeJS.Signals | undefined;
  const onSignal = (s: NodeJS.Signals): void => void (signal ??= s);
  for (const s of STOP_SIGNALS) process.once(s, onSignal);
  try {
    let ended = false;
    const watching = showProgress(handle).finally(() => (ended = true));
    const stopped = await Promise.allSettled(workers.map((w) => w.worker.runUntil(watching)));
    // every worker has stopped before a connection closes: closing one a worker holds throws, and that error
    // would replace the run's own
    for (const w of workers) await w.connection.close();
    await closeAll();
    if (ended) return await watching;
    if (signal) {
      if (process.stderr.isTTY) process.stderr.write('\n');
      throw new Interrupted(signal, input.runId);
    }
    // a worker failed while the run goes on
    throw (stopped.find((s) => s.status === 'rejected') as PromiseRejectedResult).reason;
  } finally {
    for (const s of STOP_SIGNALS) process.off(s, onSignal);
  }
}

/** Watches (and, by default, works on) a run started earlier, e.g. with --detach or by another client. */
export async function attachRun(runId: string, opts: { worker?: boolean } = {}): Promise<RunSummary> {
  const { client, server } = await connect({ startLocal: true });
  const handle: RunHandle = client.workflow.getHandle(runId);
  // an ended run has no work for a worker: its summary at once (making the workers took 7 to 17 s, found by
  // the docs-commands test running reset.md's `magnet attach $R`)
  if (opts.worker === false || (await runEnded(client, runId))) return showProgress(handle);
  const input = await runInputOf(client, runId);
  // this process's workers would fail every LLM step they take without the keys
  checkKeys(input.config);
  return showWithWorkers(handle, server.address, input);
}

/** The run's HTML report, written when it ends; a report that cannot be written never fails the run. */
export async function writeRunReport(outDir: string): Promise<void> {
  try {
    console.log(`  HTML report: ${await writeHtmlReport(outDir)}`);
  } catch (e) {
    console.log(`  note: no HTML report (${e instanceof Error ? e.message : String(e)})`);
  }
}
