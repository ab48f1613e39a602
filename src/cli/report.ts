import type { RetryOutcome, RunStatus } from '../client';
import { FailureType } from '../core/failures';
import type { PaidUsage, Usage } from '../core/usage';
import { PAPER_DPO, type DpoGroup, type MixTally } from '../core/mix';
import { infrastructureTotal, unavailableSource, type Outcomes } from '../core/outcomes';
import { describeFailure } from '../server/failure';
import { formatEstimateVsActual } from './estimate';
import { type RunPause, type RunSummary, type TurnFailure } from '../contracts';

/** What the CLI prints about runs: formatting only, the numbers come from src/client.ts. */

function pairs(counts: Record<string, number>): string {
  return Object.entries(counts)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

const pct = (x: number): string => `${Math.round(x * 100)}%`;

function step(f: Pick<TurnFailure, 'turn' | 'stage'> | undefined): string {
  return `turn ${(f?.turn ?? 0) + 1} ${f?.stage}`;
}

/** "single 6/6, parallel 2/2, ..." (planned/realised items per kind), kinds with nothing planned left out. */
export function formatMix(mix: MixTally): string {
  return Object.entries(mix)
    .filter(([, t]) => t.planned > 0 || t.realised > 0)
    .map(([k, t]) => `${k} ${t.planned}/${t.realised}`)
    .join(', ');
}

/** "single_turn 10 (34%; paper 34%), ..." : the run's pairs by group, each share next to the paper's. */
export function formatDpo(by: Partial<Record<DpoGroup, number>>): string {
  const total = Object.values(by).reduce((a, b) => a + (b ?? 0), 0);
  const paper = Object.values(PAPER_DPO).reduce((a, b) => a + b, 0);
  return (Object.keys(PAPER_DPO) as DpoGroup[])
    .map(
      (g) =>
        `${g} ${by[g] ?? 0} (${pct((by[g] ?? 0) / Math.max(1, total))}; paper ${pct(PAPER_DPO[g] / paper)})`,
    )
    .join(', ');
}

/**
 * The report's outcome lines: calls by outcome and source, regenerated, kept and dropped turns, and the
 * conversations that failed because a tool source did not answer.
 */
export function formatOutcomes(o: Outcomes): string[] {
  const infra = infrastructureTotal(o);
  return [
    `  calls by outcome: ok ${o.calls.ok}, tool_error ${o.calls.tool_error}; by source: ${pairs(o.callsBySource) || 'none'}`,
    `  turns regenerated: ${o.regeneratedTurns} (${o.regenerations} rewrites); kept with tool errors: ${o.keptErrorTurns}; dropped: ${pairs(o.droppedTurns) || 'none'}`,
    `  infrastructure failures: ${infra ? `${infra} conversations (${pairs(o.infrastructure)})` : 'none'}`,
  ];
}

/** A waiting conversation's failure type, with the tool source a ToolUnavailable names. */
function failureType(f: Pick<TurnFailure, 'type' | 'message'> | undefined): string {
  if (f?.type !== FailureType.ToolUnavailable) return `${f?.type}`;
  return `${f.type} (${unavailableSource(f.message)})`;
}

export function printSummary(s: RunSummary | undefined): void {
  if (!s) return;
  const emptied = s.emptied ? `; ${s.emptied} emptied by the filters (kept in filtered/, not exported)` : '';
  console.log(`run ${s.runId}: ${s.conversations} conversations written, ${s.failed} failed${emptied}`);
  if (s.stopped)
    console.log(
      `  stopped early (magnet stop): ${s.stopped.notStarted} never started, ${s.stopped.waiting} left waiting for a retry`,
    );
  console.log(
    `  turns ${s.turns}, calls ${s.calls} (${s.failedCalls} returned errors), backend ${s.backend}`,
  );
  console.log(`  labels: ${pairs(s.labels)}`);
  if (s.outcomes) for (const line of formatOutcomes(s.outcomes)) console.log(line);
  if (s.mix) console.log(`  mix planned/realised: ${formatMix(s.mix)}`);
  if (s.dpoByGroup) console.log(`  DPO pairs: ${formatDpo(s.dpoByGroup)}`);
  if (s.ops)
    console.log(
      `  ops planned/realised: ${s.ops
        .map(
          (o) =>
            `${o.op} ${pct(o.planned)}/${o.realised === undefined ? '-' : pct(o.realised)} (of ${o.basis} ${o.of}` +
            `${o.unapplied ? `; ${o.unapplied.count} not applied as drawn: ${o.unapplied.why}` : ''})`,
        )
        .join(', ')}`,
    );
  if (s.quality)
    console.log(
      `  quality filter: ${s.quality.judged} turns judged, ${s.quality.turnsDropped} removed (${pairs(s.quality.dropped) || 'none'}), ${s.quality.conversationsFiltered} conversations emptied`,
    );
  if (s.duplicates?.applied)
    console.log(
      `  duplicates (${s.duplicates.method}): ${s.duplicates.turns} repeated queries left out of the exports, with ${s.duplicates.dependents} turns that depended on them; ${s.duplicates.conversations} conversations left out whole`,
    );
  else if (s.duplicates)
    console.log(
      `  duplicates (${s.duplicates.method}): ${s.duplicates.turns} queries repeat an earlier one (kept: set quality.dedup to leave them out)`,
    );
  console.log(`  SFT (OpenAI chat JSONL): ${s.files.sft}`);
  console.log(`  conversations: ${s.files.conversations}`);
  console.log(`  report: ${s.files.report}`);
  if (s.backend.includes('offline'))
    console.log(
      '  note: offline backend — rule-based placeholder data for pipeline checks, not for training',
    );
}

/**
 * "1200 in (800 cached) / 300 out (100 reasoning) tokens": the cached input and reasoning tokens are parts
 * of the input and output tokens, said only when there are some.
 */
export function formatTokens(u: Usage): string {
  const cached = u.cachedInputTokens ? ` (${u.cachedInputTokens} cached)` : '';
  const reasoning = u.reasoningTokens ? ` (${u.reasoningTokens} reasoning)` : '';
  return `${u.inputTokens} in${cached} / ${u.outputTokens} out${reasoning} tokens`;
}

/** "; cached input $0.0012, saved $0.0036": what the prompt cache's tokens cost and saved, when any. */
export function formatCacheCost(u: PaidUsage): string {
  if (!u.cachedInputTokens) return '';
  return `; cached input $${(u.cachedInputCostUsd ?? 0).toFixed(4)}, saved $${(u.cacheSavedUsd ?? 0).toFixed(4)}`;
}

/** Why a run paused itself, and how it goes on (`magnet status`, the run's progress). */
export function pauseLines(runId: string, pause: RunPause): string[] {
  return [
    `paused: ${pause.reason}`,
    `go on with another model: magnet resume ${runId} --set ${pause.role ?? '<role>'}.model=<model>`,
  ];
}

/** A run that ends with failed conversations exits 3, so scripts can tell it from a crash (1). */
export function exitCodeOf(s: RunSummary | undefined): number {
  return s && s.failed > 0 ? 3 : 0;
}

export function printStatus(runId: string, s: RunStatus): void {
  console.log(`run ${runId}: ${s.status}, phase ${s.phase}${s.paused ? ' (PAUSED)' : ''}`);
  if (s.pause) for (const line of pauseLines(runId, s.pause)) console.log(`  ${line}`);
  if (s.failure) console.log(`  failed: ${describeFailure(s.failure)}`);
  const stopped = s.summary?.stopped;
  if (stopped)
    console.log(
      `  stopped (magnet stop): ${stopped.notStarted} never started, ${stopped.waiting} left waiting for a retry`,
    );
  console.log(
    `  conversations: ${s.completed} done, ${s.failed} failed, ${Math.max(0, s.inFlight - s.waiting.length)} running, ${s.waiting.length} waiting for retry, ${s.planned - s.started} not started (of ${s.planned})`,
  );
  if (s.mix) console.log(`  mix planned/done: ${formatMix(s.mix)}`);
  if (Object.keys(s.failures).length) console.log(`  failures: ${pairs(s.failures)}`);
  for (const w of s.waiting)
    console.log(`  waiting: ${w.id} ${step(w.failure)}: ${failureType(w.failure)}: ${w.failure?.message}`);
  const unavailable: Record<string, number> = {};
  for (const w of s.waiting)
    if (w.failure?.type === FailureType.ToolUnavailable) {
      const k = unavailableSource(w.failure.message);
      unavailable[k] = (unavailable[k] ?? 0) + 1;
    }
  if (Object.keys(unavailable).length)
    console.log(`  waiting for tool sources: ${pairs(unavailable)} (fix them, then magnet retry)`);
  if (s.unanswered)
    // the counts above come from Temporal's records; turns, calls and usage live in the run's worker
    console.log(
      `  no worker answers this run: counts from Temporal's records (work on it: magnet attach ${runId}, or magnet worker --run ${runId})`,
    );
  else {
    console.log(`  turns ${s.turns}, calls ${s.calls}, retried turns ${s.retried}`);
    if (s.summary?.outcomes) for (const line of formatOutcomes(s.summary.outcomes)) console.log(line);
    console.log(
      `  LLM: ${s.usage.requests} requests (+${s.usage.cached} from cache), ${formatTokens(s.usage)}, $${s.usage.costUsd.toFixed(4)}`,
    );
  }
  // the workflows count what finished steps used; the ledger every request paid (failed steps and runs too)
  if (s.paid)
    console.log(
      `  paid (call ledger): ${s.paid.requests} requests, ${formatTokens(s.paid)}, $${s.paid.costUsd.toFixed(4)}${formatCacheCost(s.paid)}`,
    );
  if (s.estimate && s.estimate.roles.length > 0)
    for (const line of formatEstimateVsActual(s.estimate, s.paid)) console.log(line);
  console.log(
    `  rate ${s.ratePerMinute}/min over ${s.elapsedSeconds}s${s.etaSeconds !== undefined ? `, ETA ${s.etaSeconds}s` : ''}`,
  );
}

/** One line per conversation asked to retry; returns how many will run again. */
export function printRetry(outcomes: RetryOutcome[]): number {
  let retrying = 0;
  for (const o of outcomes) {
    if (o.outcome === 'accepted') {
      retrying++;
      const f = o.step.failure;
      console.log(`retrying ${o.id}: ${step(o.step)} runs again (was ${f.type}: ${f.message})`);
    } else if (o.outcome === 'signalled') {
      retrying++;
      console.log(
        `retrying ${o.id}: ${step(o.failure)}: sent as a signal (started by the first release, which has no retry update: not confirmed)`,
      );
    } else console.log(`rejected ${o.id}: ${o.reason}`);
  }
  return retrying;
}
