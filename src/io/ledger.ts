import { promises as fs } from 'node:fs';
import { addPaidUsage, NO_PAID_USAGE, type PaidUsage } from '../core/usage';

export type LedgerTotals = PaidUsage & { byRole: Record<string, PaidUsage> };

/**
 * Totals of a run's call ledger (`llm-calls.jsonl`): every request actually paid, including those of failed
 * attempts, failed conversations and failed runs, which the workflows' own counts cannot see. A line torn
 * by a crash mid-append is skipped; undefined when the run has no ledger (yet, or not on this machine).
 * Lines of earlier releases have no cached input or reasoning tokens: they count as 0.
 */
export async function readLedger(file: string): Promise<LedgerTotals | undefined> {
  const text = await fs.readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  let total = NO_PAID_USAGE;
  const byRole: Record<string, PaidUsage> = {};
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let e: Partial<PaidUsage> & { role?: string };
    try {
      e = JSON.parse(line) as typeof e;
    } catch {
      continue;
    }
    const u: PaidUsage = {
      requests: Number(e.requests ?? 0),
      cached: 0,
      inputTokens: Number(e.inputTokens ?? 0),
      outputTokens: Number(e.outputTokens ?? 0),
      costUsd: Number(e.costUsd ?? 0),
      cachedInputTokens: Number(e.cachedInputTokens ?? 0),
      reasoningTokens: Number(e.reasoningTokens ?? 0),
      cachedInputCostUsd: Number(e.cachedInputCostUsd ?? 0),
      cacheSavedUsd: Number(e.cacheSavedUsd ?? 0),
    };
    total = addPaidUsage(total, u);
    const role = e.role ?? 'unknown';
    byRole[role] = addPaidUsage(byRole[role] ?? NO_PAID_USAGE, u);
  }
  return { ...total, byRole };
}
