import { promises as fs } from 'node:fs';
import path from 'node:path';
import { heartbeat } from '@temporalio/activity';
import type { Ref } from '../io/artifacts';
import { readJson, writeAtomic } from '../io/files';
import type { RunSummary } from '../contracts';
import { readLedger } from '../io/ledger';
import { dpoGroup, mixTally, type DpoGroup, type Kind } from '../core/mix';
import { addTrace, NO_TRACE, opRates } from '../core/op-rates';
import type { OpsConfig } from '../core/ops';
import { OutcomeCounter } from '../core/outcomes';
import { countDrops, type QualityConfig } from '../core/quality';
import { QueryDedup } from '../export/dedup';
import type { ConversationRecord } from '../core/conversation';
import type { FunctionDef } from '../core/pool';
import { runLayout, type RunLayout } from '../io/run-layout';
import { provenanceOf, toOpenAIChat } from '../export/openai';
import { toDpoPairs } from '../export/dpo';
import { chatRows } from '../export/rows';
import { DEFAULT_SPLIT, type ExportFormat } from '../export/formats';
import { exportRecords, type ExportResult } from '../export/run';
import { LineFile, provenanceFile, recordFiles, streamRecords } from '../export/stream';
import { NO_USAGE, type Usage } from '../core/usage';
import { poolIndex } from '../io/stored';

/** What the run config's `export` asks for; absent in inputs of earlier releases (nothing extra then). */
export interface RunExports {
  formats: ExportFormat[];
  split: number;
  license: string;
}

/**
 * Collects the conversation files into the training files and a report, one record in memory at a time.
 * It reads what is on disk, so rerunning it after a crash or a replay gives the same files.
 */
export async function exportRunActivity(input: {
  runId: string;
  outDir: string;
  storeDir: string;
  poolRef: Ref;
  failed: number;
  failures: Record<string, number>;
  usage: Usage;
  stopped?: { notStarted: number; waiting: number };
  export?: RunExports;
  seed?: number;
  /** The config's ops, to report planned vs realised rates (absent in inputs of earlier releases). */
  ops?: OpsConfig;
  /** Items per kind the run planned (absent in inputs of earlier releases and runs without a mix). */
  mix?: Record<Kind, number>;
  /** The config's quality settings (absent in inputs of earlier releases: no dedup then). */
  quality?: Pick<QualityConfig, 'dedup'>;
}): Promise<RunSummary> {
  const pool = await poolIndex(input.storeDir, input.poolRef);
  const layout = runLayout(input.outDir);
  const files = await recordFiles(layout.conversations);
  const out = await RunFiles.open(layout);
  const counts = new RecordCounts();
  // the filter's counts come from every record, exported or not; dedup applies to what is exported
  const filtered = await recordFiles(layout.filtered);
  for await (const rec of streamRecords(filtered)) {
    counts.addQuality(rec.quality);
    counts.outcomes.add(rec);
  }
  await countFailures(layout, counts.outcomes);
  // repeats are always counted; they leave the exports only when the config says so
  const dedup = new QueryDedup(input.quality?.dedup ?? false);
  await writeRunFiles(files, { out, counts, dedup, pool });
  const dpoPairs = await out.finishDpo();
  // the run's function definitions, so `magnet export` can rebuild every format later without --pool
  await writeAtomic(layout.pool, JSON.stringify({ functions: [...pool.values()] }));
  const exports = await exportFormats(input, layout, pool, dedup.counts.applied);
  const ledger = (await readLedger(layout.llmCalls)) ?? { ...NO_USAGE, byRole: {} };
  const summary = runSummary(input, layout, counts, {
    conversations: files.length,
    filtered: filtered.length,
    dpoPairs,
    dpoByGroup: out.dpoByGroup,
    duplicates: dedup.counts,
    ledger,
    exports,
  });
  await writeAtomic(summary.files.report, JSON.stringify(summary, null, 2));
  return summary;
}

type ExportRunInput = Parameters<typeof exportRunActivity>[0];
type Pool = ReadonlyMap<string, FunctionDef>;

/**
 * The one pass over the run's records: the run folder's own training files and the report's counts. Any
 * failure drops the files half-written, so a retry of the activity starts them afresh.
 */
async function writeRunFiles(
  files: readonly string[],
  pass: { out: RunFiles; counts: RecordCounts; dedup: QueryDedup; pool: Pool },
): Promise<void> {
  const { out, counts, dedup, pool } = pass;
  try {
    let i = 0;
    for await (const rec of streamRecords(files)) {
      counts.addQuality(rec.quality);
      const exported = dedup.apply(rec);
      if (exported) await out.write(exported, rec.kind, pool);
      counts.add(rec);
      if (i++ % 100 === 0) heartbeat({ exported: i });
    }
    await out.closeSft();
  } catch (e) {
    await out.abort();
    throw e;
  }
}

/** The run folder's sft.openai.jsonl (with its provenance sidecar) and dpo.jsonl, written a record at a time. */
class RunFiles {
  /** mDPO pairs by the group of their item's kind, for the report. */
  readonly dpoByGroup: Partial<Record<DpoGroup, number>> = {};

  private constructor(
    private readonly layout: RunLayout,
    private readonly sft: LineFile,
    private readonly sftProvenance: LineFile,
    private readonly dpo: LineFile,
  ) {}

  static async open(layout: RunLayout): Promise<RunFiles> {
    const sft = await LineFile.open(layout.sft);
    const sftProvenance = await LineFile.open(provenanceFile(layout.sft));
    const dpo = await LineFile.open(layout.dpo);
    return new RunFiles(layout, sft, sftProvenance, dpo);
  }

  async write(exported: ConversationRecord, kind: Kind, pool: Pool): Promise<void> {
    for (const row of chatRows(exported)) {
      await this.sft.writeJson(toOpenAIChat(row, pool));
      await this.sftProvenance.writeJson(provenanceOf(row, this.sft.lines));
    }
    for (const pair of toDpoPairs(exported, pool)) {
      await this.dpo.writeJson(pair);
      const g = dpoGroup(kind);
      this.dpoByGroup[g] = (this.dpoByGroup[g] ?? 0) + 1;
    }
  }

  async closeSft(): Promise<void> {
    await this.sft.close();
    await this.sftProvenance.close();
  }

  async abort(): Promise<void> {
    await Promise.all([this.sft.abort(), this.sftProvenance.abort(), this.dpo.abort()]);
  }

  /** Closes dpo.jsonl, or removes it when no record had a pair (the report names no empty file); its pairs. */
  async finishDpo(): Promise<number> {
    const dpoPairs = this.dpo.lines;
    if (dpoPairs > 0) await this.dpo.close();
    else {
      await this.dpo.abort();
      await fs.rm(this.layout.dpo, { force: true });
    }
    return dpoPairs;
  }
}

/** What the report counts over the records, one record at a time. */
class RecordCounts {
  turns = 0;
  calls = 0;
  failedCalls = 0;
  readonly labels: Record<string, number> = {};
  readonly backends = new Set<string>();
  trace = NO_TRACE;
  readonly kinds: Partial<Record<Kind, number>> = {};
  judged = 0;
  dropped: Record<string, number> = {};
  turnsDropped = 0;
  /** Calls by outcome and source, regenerated, kept and dropped turns, unavailable tool sources. */
  readonly outcomes = new OutcomeCounter();

  /** The quality filter's scores and drops: of exported records and of those it emptied alike. */
  addQuality(q: ConversationRecord['quality']): void {
    this.judged += q?.scores.length ?? 0;
    this.dropped = countDrops(this.dropped, q?.dropped ?? []);
    this.turnsDropped += q?.dropped.length ?? 0;
  }

  add(rec: ConversationRecord): void {
    this.turns += rec.stats.turns;
    this.calls += rec.stats.calls;
    this.failedCalls += rec.stats.failedCalls;
    this.backends.add(rec.provenance.backend);
    for (const t of rec.turns) for (const l of t.labels) this.labels[l] = (this.labels[l] ?? 0) + 1;
    this.kinds[rec.kind] = (this.kinds[rec.kind] ?? 0) + 1;
    // the ops shape multi-turn conversations only: single-turn items are not chances for them
    if (rec.kind === 'multi_turn') this.trace = addTrace(this.trace, rec.fsp.trace);
    this.outcomes.add(rec);
  }
}

/**
 * The failure records (failed/: conversations that failed, or still wait for a retry) into `outcomes`; one
 * that cannot be read (torn by a crash, of another shape) is skipped.
 */
async function countFailures(layout: RunLayout, outcomes: OutcomeCounter): Promise<void> {
  const names = await fs.readdir(layout.failed).catch(() => [] as string[]);
  for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
    const f = (await readJson(path.join(layout.failed, name)).catch(() => undefined)) as
      { type?: unknown; message?: unknown } | undefined;
    if (f && typeof f.type === 'string')
      outcomes.addFailure({ type: f.type, message: typeof f.message === 'string' ? f.message : '' });
  }
}

/** The configured formats under export/, from the records on disk, left out repeats as the run's files do. */
async function exportFormats(
  input: ExportRunInput,
  layout: RunLayout,
  pool: Pool,
  dedup: boolean,
): Promise<ExportResult | undefined> {
  const formats = input.export?.formats ?? [];
  if (formats.length === 0) return undefined;
  return exportRecords({
    runId: input.runId,
    conversations: layout.conversations,
    pool,
    formats,
    outDir: layout.exports,
    split: input.export?.split ?? DEFAULT_SPLIT,
    seed: input.seed ?? 0,
    license: input.export?.license ?? 'unknown',
    dedup,
    onProgress: (done) => {
      if (done % 100 === 0) heartbeat({ exported: done });
    },
  });
}

/** The run's report (report.json); a part absent from the input (an earlier release's) is left out. */
function runSummary(
  input: ExportRunInput,
  layout: RunLayout,
  counts: RecordCounts,
  run: Pick<RunSummary, 'conversations' | 'dpoPairs' | 'dpoByGroup' | 'duplicates' | 'ledger'> & {
    filtered: number;
    exports?: ExportResult;
  },
): RunSummary {
  const { judged, dropped, turnsDropped } = counts;
  return {
    runId: input.runId,
    conversations: run.conversations,
    failed: input.failed,
    ...(run.filtered > 0 ? { emptied: run.filtered } : {}),
    turns: counts.turns,
    calls: counts.calls,
    failedCalls: counts.failedCalls,
    labels: counts.labels,
    outcomes: counts.outcomes.result(),
    failures: input.failures,
    backend: [...counts.backends].join(',') || 'none',
    usage: input.usage,
    ledger: run.ledger,
    dpoPairs: run.dpoPairs,
    ...(run.dpoPairs > 0 ? { dpoByGroup: run.dpoByGroup } : {}),
    ...(input.stopped ? { stopped: input.stopped } : {}),
    ...(input.ops ? { ops: opRates(counts.trace, input.ops) } : {}),
    ...(input.mix ? { mix: mixTally(input.mix, counts.kinds) } : {}),
    ...(judged > 0
      ? { quality: { judged, dropped, turnsDropped, conversationsFiltered: run.filtered } }
      : {}),
    duplicates: run.duplicates,
    files: {
      sft: layout.sft,
      ...(run.dpoPairs > 0 ? { dpo: layout.dpo } : {}),
      report: layout.report,
      conversations: layout.conversations,
      ...(run.exports ? { exports: run.exports.files.map((f) => f.file) } : {}),
    },
  };
}
