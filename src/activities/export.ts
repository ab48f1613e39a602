import { promises as fs } from 'node:fs';
import path from 'node:path';
import { heartbeat } from '@temporalio/activity';
import { ConversationRecord } from '../core/conversation';
import type { Ref } from '../io/artifacts';
import { readJson, writeAtomic } from '../io/files';
import { readLedger } from '../io/ledger';
import { runLayout } from '../io/run-layout';
import { toOpenAIChat } from '../export/openai';
import { toDpoPairs } from '../export/dpo';
import { NO_USAGE, type Usage } from '../core/usage';
import { poolIndex } from './pool';

export interface RunSummary {
  runId: string;
  conversations: number;
  failed: number;
  turns: number;
  calls: number;
  failedCalls: number;
  labels: Record<string, number>;
  failures: Record<string, number>;
  backend: string;
  /** LLM usage as counted by the workflows (what the run's conversations report). */
  usage: Usage;
  /** LLM usage from the call ledger: every request actually sent, including ones in failed attempts. */
  ledger: Usage & { byRole: Record<string, Usage> };
  /** mDPO pairs written (0 without a student model). */
  dpoPairs: number;
  /** Set when `magnet stop` ended the run early: conversations never started, and those left waiting. */
  stopped?: { notStarted: number; waiting: number };
  files: { sft: string; dpo?: string; report: string; conversations: string };
}

/**
 * Collects the conversation files into the training files and a report. It reads what is on disk, so
 * rerunning it after a crash or a replay gives the same files.
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
}): Promise<RunSummary> {
  const pool = await poolIndex(input.storeDir, input.poolRef);
  const layout = runLayout(input.outDir);
  const dir = layout.conversations;
  const names = (await fs.readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json')).sort();
  const lines: string[] = [];
  const dpo: string[] = [];
  const labels: Record<string, number> = {};
  let turns = 0;
  let calls = 0;
  let failedCalls = 0;
  const backends = new Set<string>();
  for (const [i, name] of names.entries()) {
    const rec = ConversationRecord.parse(await readJson(path.join(dir, name)));
    lines.push(JSON.stringify(toOpenAIChat(rec, pool)));
    for (const pair of toDpoPairs(rec, pool)) dpo.push(JSON.stringify(pair));
    turns += rec.stats.turns;
    calls += rec.stats.calls;
    failedCalls += rec.stats.failedCalls;
    backends.add(rec.provenance.backend);
    for (const t of rec.turns) for (const l of t.labels) labels[l] = (labels[l] ?? 0) + 1;
    if (i % 100 === 0) heartbeat({ exported: i });
  }
  const ledger = (await readLedger(layout.llmCalls)) ?? { ...NO_USAGE, byRole: {} };
  const sft = layout.sft;
  await writeAtomic(sft, lines.join('\n') + (lines.length ? '\n' : ''));
  const dpoFile = layout.dpo;
  if (dpo.length > 0) await writeAtomic(dpoFile, dpo.join('\n') + '\n');
  const summary: RunSummary = {
    runId: input.runId,
    conversations: names.length,
    failed: input.failed,
    turns,
    calls,
    failedCalls,
    labels,
    failures: input.failures,
    backend: [...backends].join(',') || 'none',
    usage: input.usage,
    ledger,
    dpoPairs: dpo.length,
    ...(input.stopped ? { stopped: input.stopped } : {}),
    files: {
      sft,
      ...(dpo.length > 0 ? { dpo: dpoFile } : {}),
      report: layout.report,
      conversations: dir,
    },
  };
  await writeAtomic(summary.files.report, JSON.stringify(summary, null, 2));
  return summary;
}
