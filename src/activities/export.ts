import { promises as fs } from 'node:fs';
import { heartbeat } from '@temporalio/activity';
import type { Ref } from '../io/artifacts';
import { writeAtomic } from '../io/files';
import type { RunSummary } from '../contracts';
import { readLedger } from '../io/ledger';
import { dpoGroup, mixTally, type DpoGroup, type Kind } from '../core/mix';
import { addTrace, NO_TRACE, opRates } from '../core/op-rates';
import type { OpsConfig } from '../core/ops';
import { countDrops, type QualityConfig } from '../core/quality';
import { QueryDedup } from '../export/dedup';
import type { ConversationRecord } from '../core/conversation';
import { runLayout } from '../io/run-layout';
import { provenanceOf, toOpenAIChat } from '../export/openai';
import { toDpoPairs } from '../export/dpo';
import { chatRows } from '../export/rows';
import { DEFAULT_SPLIT, type ExportFormat } from '../export/formats';
import { exportRecords } from '../export/run';
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
  const dir = layout.conversations;
  const files = await recordFiles(dir);
  const labels: Record<string, number> = {};
  let turns = 0;
  let calls = 0;
  let failedCalls = 0;
  const backends = new Set<string>();
  let trace = NO_TRACE;
  const kinds: Partial<Record<Kind, number>> = {};
  const sft = await LineFile.open(layout.sft);
  const sftProvenance = await LineFile.open(provenanceFile(layout.sft));
  const dpo = await LineFile.open(layout.dpo);
  // the filter's counts come from every record, exported or not; dedup applies to what is exported
  let judged = 0;
  let dropped: Record<string, number> = {};
  let turnsDropped = 0;
  const tally = (q: ConversationRecord['quality']): void => {
    judged += q?.scores.length ?? 0;
    dropped = countDrops(dropped, q?.dropped ?? []);
    turnsDropped += q?.dropped.length ?? 0;
  };
  const filtered = await recordFiles(layout.filtered);
  for await (const rec of streamRecords(filtered)) tally(rec.quality);
  // repeats are always counted; they leave the exports only when the config says so
  const dedup = new QueryDedup(input.quality?.dedup ?? false);
  const dpoByGroup: Partial<Record<DpoGroup, number>> = {};
  try {
    let i = 0;
    for await (const rec of streamRecords(files)) {
      tally(rec.quality);
      const exported = dedup.apply(rec);
      if (exported) {
        for (const row of chatRows(exported)) {
          await sft.writeJson(toOpenAIChat(row, pool));
          await sftProvenance.writeJson(provenanceOf(row, sft.lines));
        }
        for (const pair of toDpoPairs(exported, pool)) {
          await dpo.writeJson(pair);
          const g = dpoGroup(rec.kind);
          dpoByGroup[g] = (dpoByGroup[g] ?? 0) + 1;
        }
      }
      turns += rec.stats.turns;
      calls += rec.stats.calls;
      failedCalls += rec.stats.failedCalls;
      backends.add(rec.provenance.backend);
      for (const t of rec.turns) for (const l of t.labels) labels[l] = (labels[l] ?? 0) + 1;
      kinds[rec.kind] = (kinds[rec.kind] ?? 0) + 1;
      // the ops shape multi-turn conversations only: single-turn items are not chances for them
      if (rec.kind === 'multi_turn') trace = addTrace(trace, rec.fsp.trace);
      if (i++ % 100 === 0) heartbeat({ exported: i });
    }
    await sft.close();
    await sftProvenance.close();
  } catch (e) {
    await Promise.all([sft.abort(), sftProvenance.abort(), dpo.abort()]);
    throw e;
  }
  const dpoPairs = dpo.lines;
  if (dpoPairs > 0) await dpo.close();
  else {
    await dpo.abort();
    await fs.rm(layout.dpo, { force: true });
  }
  // the run's function definitions, so `magnet export` can rebuild every format later without --pool
  await writeAtomic(layout.pool, JSON.stringify({ functions: [...pool.values()] }));
  const formats = input.export?.formats ?? [];
  const exports =
    formats.length > 0
      ? await exportRecords({
          runId: input.runId,
          conversations: dir,
          pool,
          formats,
          outDir: layout.exports,
          split: input.export?.split ?? DEFAULT_SPLIT,
          seed: input.seed ?? 0,
          license: input.export?.license ?? 'unknown',
          dedup: dedup.counts.applied,
          onProgress: (done) => {
            if (done % 100 === 0) heartbeat({ exported: done });
          },
        })
      : undefined;
  const ledger = (await readLedger(layout.llmCalls)) ?? { ...NO_USAGE, byRole: {} };
  const summary: RunSummary = {
    runId: input.runId,
    conversations: files.length,
    failed: input.failed,
    turns,
    calls,
    failedCalls,
    labels,
    failures: input.failures,
    backend: [...backends].join(',') || 'none',
    usage: input.usage,
    ledger,
    dpoPairs,
    ...(dpoPairs > 0 ? { dpoByGroup } : {}),
    ...(input.stopped ? { stopped: input.stopped } : {}),
    ...(input.ops ? { ops: opRates(trace, input.ops) } : {}),
    ...(input.mix ? { mix: mixTally(input.mix, kinds) } : {}),
    ...(judged > 0
      ? { quality: { judged, dropped, turnsDropped, conversationsFiltered: filtered.length } }
      : {}),
    duplicates: dedup.counts,
    files: {
      sft: layout.sft,
      ...(dpoPairs > 0 ? { dpo: layout.dpo } : {}),
      report: layout.report,
      conversations: dir,
      ...(exports ? { exports: exports.files.map((f) => f.file) } : {}),
    },
  };
  await writeAtomic(summary.files.report, JSON.stringify(summary, null, 2));
  return summary;
}
