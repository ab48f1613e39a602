import { z } from 'zod';
import type { LedgerTotals } from '../io/ledger';
import type { Estimate } from '../estimate/estimate';

/** What `magnet estimate` and `magnet run --dry-run` print: formatting only. */

/** `--student-error-rate`: a share in [0, 1]. */
export const rateOf = z
  .string()
  .regex(/^(0|1|0?\.\d+|1\.0*)$/, 'expected a number from 0 to 1, e.g. 0.3')
  .transform(Number);

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const usd = (n: number): string => `$${n < 1 ? n.toFixed(4) : n.toFixed(2)}`;

export function duration(seconds: number | undefined): string {
  if (seconds === undefined) return 'unknown (a provider has no requestsPerSecond/tokensPerMinute)';
  if (seconds < 90) return `${Math.ceil(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

function table(rows: string[][]): string[] {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  '),
  );
}

export function formatEstimate(e: Estimate): string {
  const out: string[] = [];
  out.push(
    `estimate: ${int(e.conversations)} conversations (${e.sampled} simulated request by request, ${e.planned} planned; ` +
      `${e.turnsPerConversation.toFixed(2)} turns each), graph ${e.graph === 'given' ? 'given (no judge requests)' : 'built by the run'}`,
  );
  if (e.roles.length === 0) {
    out.push('  every role is offline: no LLM requests, no cost');
    return out.join('\n');
  }
  const rows = [
    ['role', 'model', 'requests', 'input tok', 'of them cached', 'output tok', 'cost', 'tokenizer'],
  ];
  for (const r of e.roles)
    rows.push([
      r.role,
      `${r.provider}/${r.model}${r.batch ? ' (batch)' : ''}`,
      int(r.requests),
      int(r.inputTokens),
      int(r.cachedInputTokens),
      int(r.outputTokens),
      r.priced ? usd(r.costUsd) : 'no price',
      r.tokenizer,
    ]);
  rows.push([
    'total',
    '',
    int(e.total.requests),
    int(e.total.inputTokens),
    int(e.total.cachedInputTokens),
    int(e.total.outputTokens),
    usd(e.total.costUsd),
    '',
  ]);
  out.push(...table(rows).map((l) => `  ${l}`));
  for (const p of e.providers) {
    const limits = [
      p.requestsPerSecond ? `${p.requestsPerSecond} req/s` : undefined,
      p.tokensPerMinute ? `${int(p.tokensPerMinute)} tok/min` : undefined,
    ].filter(Boolean);
    out.push(
      `  ${p.provider}: ${int(p.requests)} paced requests, ${int(p.tokens)} tokens at ${limits.join(', ') || 'no configured rate'}` +
        (p.graphSeconds !== undefined && p.conversationSeconds !== undefined
          ? ` → graph ${duration(p.graphSeconds)}, conversations ${duration(p.conversationSeconds)}`
          : ''),
    );
  }
  out.push(`  expected duration at the configured rate limits: ${duration(e.durationSeconds)}`);
  if (e.batchRoles.length)
    out.push(`  batch mode (${e.batchRoles.join(', ')}): answers arrive within the batch window, up to 24 h`);
  for (const n of e.notes) out.push(`  note: ${n}`);
  return out.join('\n');
}

/** Relative difference of an actual figure from the estimate, e.g. "+12%". */
function delta(actual: number, estimated: number): string {
  if (estimated === 0) return actual === 0 ? '±0%' : 'n/a';
  const d = Math.round(((actual - estimated) / estimated) * 100);
  return `${d >= 0 ? '+' : ''}${d}%`;
}

/** Estimate vs actual (the run's call ledger), per role: for `magnet status` after a run. */
export function formatEstimateVsActual(e: Estimate, paid: LedgerTotals | undefined): string[] {
  const rows = [
    [
      'role',
      'requests est/actual',
      'input tok est/actual',
      'cached in est/actual',
      'output tok est/actual',
      'cost est/actual',
    ],
  ];
  const roles = new Set([...e.roles.map((r) => r.role), ...Object.keys(paid?.byRole ?? {})]);
  for (const role of roles) {
    const est = e.roles.find((r) => r.role === role);
    const act = paid?.byRole[role];
    const pair = (a: number | undefined, b: number | undefined, f = int): string =>
      `${b === undefined ? '-' : f(b)} / ${a === undefined ? '-' : f(a)}${a !== undefined && b !== undefined ? ` (${delta(a, b)})` : ''}`;
    rows.push([
      role,
      pair(act?.requests, est?.requests),
      pair(act?.inputTokens, est?.inputTokens),
      pair(act ? (act.cachedInputTokens ?? 0) : undefined, est?.cachedInputTokens),
      pair(act?.outputTokens, est?.outputTokens),
      pair(act?.costUsd, est?.costUsd, usd),
    ]);
  }
  return [
    '  estimate vs actual (call ledger; %: actual relative to the estimate):',
    ...table(rows).map((l) => `    ${l}`),
  ];
}
