import { promises as fs } from 'node:fs';
import { addUsage, NO_USAGE, type Usage } from '../core/usage';

export type LedgerTotals = Usage & { byRole: Record<string, Usage> };

/**
 * Totals of a run's call ledger (`llm-calls.jsonl`): every request actually paid, including those of failed
 * attempts, failed conversations and failed runs, which the workflows' own counts cannot see. A line torn
 * by a crash mid-append is skipped; undefined when the run has no ledger (yet, or not on this machine).
 */
export async function readLedger(file: string): Promise<LedgerTotals | undefined> {
  const text = await fs.readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  let total = NO_USAGE;
  const byRole: Record<string, Usage> = {};
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let e: Partial<Usage> & { role?: string };
    try {
      e = JSON.parse(line) as typeof e;
    } catch {
      continue;
    }
    const u: Usage = {
      requests: Number(e.requests ?? 0),
      cached: 0,
      inputTokens: Number(e.inputTokens ?? 0),
      outputTokens: Number(e.outputTokens ?? 0),
      costUsd: Number(e.costUsd ?? 0),
    };
    total = addUsage(total, u);
    const role = e.role ?? 'unknown';
    byRole[role] = addUsage(byRole[role] ?? NO_USAGE, u);
  }
  return { ...total, byRole };
}
