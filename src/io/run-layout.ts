import path from 'node:path';

/**
 * What lives where in the data folder ($MAGNET_HOME) and in a run folder: the one place that names a run's
 * files. Workflow code may not import io/, so `runRoles` (src/core/config.ts, run by the run workflow) names
 * the ledger itself (`${outDir}/llm-calls.jsonl`): keep the two in step.
 */

export interface HomeLayout {
  /** Run folders, one per run id, unless the config's `output` puts them elsewhere. */
  runs: string;
  /** The content-addressed artifact store shared by all runs. */
  store: string;
  /** Valid LLM answers by request hash, shared by all runs. */
  cache: string;
  /** The local dev server's SQLite database, log and pid file. */
  temporal: string;
}

export function homeLayout(home: string): HomeLayout {
  return {
    runs: path.join(home, 'runs'),
    store: path.join(home, 'store'),
    cache: path.join(home, 'llm-cache'),
    temporal: path.join(home, 'temporal'),
  };
}

export interface RunLayout {
  dir: string;
  /** conv-NNNNN.json: one record per finished conversation. */
  conversations: string;
  /** conv-NNNNN.json: why a conversation failed or waits for a retry. */
  failed: string;
  /** conv-NNNNN.json: records the quality filter emptied (every turn removed): counted, never exported. */
  filtered: string;
  sft: string;
  dpo: string;
  report: string;
  /** One line per paid LLM request. */
  llmCalls: string;
  graph: string;
  graphDot: string;
  /** What the CLI writes when the run starts, for the report (src/report/data.ts RunInfo). */
  runInfo: string;
  /** The estimate made when the run started (src/estimate/estimate.ts). */
  estimate: string;
  /** The run's function definitions, so `magnet export` needs no --pool. */
  pool: string;
  /** Where the run and `magnet export` put the files of the configured formats, unless told otherwise. */
  exports: string;
  /** `magnet report --html`'s page, unless told otherwise. */
  reportHtml: string;
}

/** The files of the run folder `runDir` (`runs/<run-id>` in the data folder, or the config's `output`). */
export function runLayout(runDir: string): RunLayout {
  return {
    dir: runDir,
    conversations: path.join(runDir, 'conversations'),
    failed: path.join(runDir, 'failed'),
    filtered: path.join(runDir, 'filtered'),
    sft: path.join(runDir, 'sft.openai.jsonl'),
    dpo: path.join(runDir, 'dpo.jsonl'),
    report: path.join(runDir, 'report.json'),
    llmCalls: path.join(runDir, 'llm-calls.jsonl'),
    graph: path.join(runDir, 'graph.json'),
    graphDot: path.join(runDir, 'graph.dot'),
    runInfo: path.join(runDir, 'run-info.json'),
    estimate: path.join(runDir, 'estimate.json'),
    pool: path.join(runDir, 'pool.json'),
    exports: path.join(runDir, 'export'),
    reportHtml: path.join(runDir, 'report.html'),
  };
}

function conversationName(index: number): string {
  return `conv-${String(index).padStart(5, '0')}.json`;
}

/** The record of conversation `index` of the run in `runDir`. */
export function conversationFile(runDir: string, index: number): string {
  return path.join(runLayout(runDir).conversations, conversationName(index));
}

/** The failure record of conversation `index` of the run in `runDir`. */
export function failureFile(runDir: string, index: number): string {
  return path.join(runLayout(runDir).failed, conversationName(index));
}

/** The record of conversation `index` when the quality filter removed all its turns. */
export function filteredFile(runDir: string, index: number): string {
  return path.join(runLayout(runDir).filtered, conversationName(index));
}

/**
 * The folder of a new run: `<output>/<run id>` when the config names an output folder (relative to the config's
 * folder `baseDir`), else `runs/<run id>` in the data folder.
 */
export function newRunDir(
  home: HomeLayout,
  runId: string,
  output?: { baseDir: string; dir?: string },
): string {
  return output?.dir ? path.resolve(output.baseDir, output.dir, runId) : path.join(home.runs, runId);
}

/** Where a run given on the command line may be: the path itself, or a run id in the data folder's runs. */
export function runDirCandidates(home: HomeLayout, run: string): string[] {
  return [path.resolve(run), path.join(home.runs, run)];
}
