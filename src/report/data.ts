import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ConversationRecord } from '../core/conversation';
import { addTrace, NO_TRACE, type TraceTotals } from '../core/op-rates';
import { OpsConfig } from '../core/ops';
import { OutcomeCounter, Outcomes } from '../core/outcomes';
import { Price } from '../core/config';
import { readEstimate, type Estimate } from '../estimate/estimate';
import { readJson, writeAtomic } from '../io/files';
import { runLayout } from '../io/run-layout';

/**
 * What the HTML report shows, read from a run folder. Every file is optional but the folder itself: a run
 * of an earlier release, a run that failed early or one still going has only some of them, and the report
 * says what is missing instead of failing.
 */

/** Written by the CLI when a run starts: what the report cannot learn from the run's own files. */
export const RunInfo = z.object({
  runId: z.string(),
  startedAt: z.string(),
  /** The Temporal UI's address (links to each conversation), when known. */
  ui: z.string().optional(),
  namespace: z.string(),
  ops: OpsConfig,
  conversations: z.number(),
  prices: z.record(z.string(), Price).default({}),
});
export type RunInfo = z.infer<typeof RunInfo>;

export async function writeRunInfo(outDir: string, info: RunInfo): Promise<void> {
  await writeAtomic(runLayout(outDir).runInfo, JSON.stringify(info, null, 2));
}

/** A ledger line (src/llm/request.ts LedgerLine), read loosely: a line torn by a crash is skipped. */
const LedgerLine = z.object({
  role: z.string(),
  provider: z.string().default(''),
  model: z.string().default(''),
  requests: z.number().default(0),
  inputTokens: z.number().default(0),
  outputTokens: z.number().default(0),
  costUsd: z.number().default(0),
  // absent in lines of earlier releases (and the cost parts in lines with nothing cached): 0
  cachedInputTokens: z.number().default(0),
  reasoningTokens: z.number().default(0),
  cachedInputCostUsd: z.number().default(0),
  cacheSavedUsd: z.number().default(0),
  batch: z.boolean().optional(),
});

export interface UsageRow {
  role: string;
  model: string;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  /** Of the input tokens, served from the provider's prompt cache; what they cost, and saved. */
  cachedInputTokens: number;
  cachedInputCostUsd: number;
  cacheSavedUsd: number;
  /** Of the output tokens, spent reasoning (priced as output). */
  reasoningTokens: number;
}

const Failure = z.object({
  id: z.string().optional(),
  index: z.number().optional(),
  turn: z.number().optional(),
  stage: z.string().optional(),
  type: z.string().default('unknown'),
  message: z.string().default(''),
});
export type FailureRecord = z.infer<typeof Failure>;

/** The parts of report.json (src/activities/export.ts RunSummary) the report reads. */
const Summary = z
  .object({
    runId: z.string(),
    conversations: z.number(),
    failed: z.number(),
    turns: z.number(),
    calls: z.number(),
    failedCalls: z.number(),
    backend: z.string(),
    failures: z.record(z.string(), z.number()).default({}),
    dpoPairs: z.number().default(0),
    stopped: z.object({ notStarted: z.number(), waiting: z.number() }).optional(),
    quality: z
      .object({
        judged: z.number(),
        dropped: z.record(z.string(), z.number()),
        turnsDropped: z.number(),
        conversationsFiltered: z.number(),
      })
      .optional()
      // a summary of another release with another shape here still shows the rest
      .catch(undefined),
    duplicates: z
      .object({
        method: z.string(),
        applied: z.boolean(),
        turns: z.number(),
        dependents: z.number(),
        conversations: z.number(),
      })
      .optional()
      .catch(undefined),
    outcomes: Outcomes.optional().catch(undefined),
    files: z
      .object({
        sft: z.string().optional(),
        dpo: z.string().optional(),
        exports: z.array(z.string()).optional(),
      })
      .loose()
      .optional()
      .catch(undefined),
  })
  .loose();
export type Summary = z.infer<typeof Summary>;

const GraphFile = z
  .object({
    judge: z.string(),
    nodes: z.array(z.object({ name: z.string(), category: z.string() })),
    edges: z.array(z.object({ from: z.string(), to: z.string(), relation: z.string() }).loose()),
    stats: z.object({ nodes: z.number(), edges: z.number(), isolated: z.number() }).loose(),
  })
  .loose();
export type GraphFile = z.infer<typeof GraphFile>;

/** How many conversations the report renders as a chat. */
export const SAMPLES = 6;

/** The records' realised shape, gathered one record at a time (a run may have millions). */
export interface Realised {
  conversations: number;
  kinds: Record<string, number>;
  /** Conversations by number of turns, and by number of calls. */
  turns: Record<string, number>;
  calls: Record<string, number>;
  /** Turns by label. */
  labels: Record<string, number>;
  totalTurns: number;
  /** The ops as applied (sums of the FSPs' traces), to set beside the config's probabilities. */
  trace: TraceTotals;
  /** Calls that returned an error, by function. */
  callErrors: Record<string, number>;
  negatives: number;
  /** Calls by outcome and source, regenerated/kept/dropped turns, unavailable tool sources (records and failed/). */
  outcomes: Outcomes;
}

export interface ReportData {
  runId: string;
  dir: string;
  info?: RunInfo;
  summary?: Summary;
  estimate?: Estimate;
  graph?: GraphFile;
  realised: Realised;
  /** The first SAMPLES records, rendered as chats. */
  samples: ConversationRecord[];
  /** Records that could not be read, with the reason (shown, not fatal). */
  unreadable: { file: string; problem: string }[];
  failures: FailureRecord[];
  usage: UsageRow[];
}

async function optionalJson(file: string): Promise<unknown> {
  return readJson(file).catch(() => undefined);
}

function firstIssue(e: z.ZodError): string {
  const i = e.issues[0];
  return `field ${i?.path.join('.') || '(root)'}: ${i?.message}`;
}

async function jsonFiles(dir: string): Promise<string[]> {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  return names
    .filter((n) => n.endsWith('.json'))
    .sort()
    .map((n) => path.join(dir, n));
}

/** Everything the report shows, from the run folder `dir`. */
export async function readReportData(dir: string): Promise<ReportData> {
  const layout = runLayout(dir);
  const stat = await fs.stat(dir).catch(() => undefined);
  if (!stat?.isDirectory()) throw new Error(`${dir}: no such run folder`);
  const info = RunInfo.safeParse(await optionalJson(layout.runInfo));
  const summary = Summary.safeParse(await optionalJson(layout.report));
  const graph = GraphFile.safeParse(await optionalJson(layout.graph));
  const samples: ConversationRecord[] = [];
  const unreadable: ReportData['unreadable'] = [];
  const realised: Realised = {
    conversations: 0,
    kinds: {},
    turns: {},
    calls: {},
    labels: {},
    totalTurns: 0,
    trace: NO_TRACE,
    callErrors: {},
    negatives: 0,
    outcomes: Outcomes.parse({}),
  };
  const outcomes = new OutcomeCounter();
  const bump = (m: Record<string, number>, k: string | number): void => {
    m[k] = (m[k] ?? 0) + 1;
  };
  for (const file of await jsonFiles(layout.conversations)) {
    const parsed = ConversationRecord.safeParse(await optionalJson(file));
    if (!parsed.success) {
      unreadable.push({ file, problem: firstIssue(parsed.error) });
      continue;
    }
    const r = parsed.data;
    realised.conversations++;
    bump(realised.kinds, r.kind);
    bump(realised.turns, r.turns.length);
    bump(realised.calls, r.stats.calls);
    realised.totalTurns += r.turns.length;
    for (const t of r.turns) {
      for (const l of t.labels) bump(realised.labels, l);
      for (const c of t.calls) if (c.error) bump(realised.callErrors, c.name);
    }
    // the ops shape multi-turn conversations only (single-turn items of the mix are not chances for them)
    if (r.kind === 'multi_turn') realised.trace = addTrace(realised.trace, r.fsp.trace);
    realised.negatives += r.stats.negatives;
    outcomes.add(r);
    if (samples.length < SAMPLES) samples.push(r);
  }
  // records the filter emptied hold no turn, but say which turns their grounding dropped
  for (const file of await jsonFiles(layout.filtered)) {
    const parsed = ConversationRecord.safeParse(await optionalJson(file));
    if (parsed.success) outcomes.add(parsed.data);
  }
  const failures: FailureRecord[] = [];
  for (const file of await jsonFiles(layout.failed)) {
    const f = Failure.safeParse(await optionalJson(file));
    if (f.success) {
      failures.push(f.data);
      outcomes.addFailure(f.data);
    }
  }
  realised.outcomes = outcomes.result();
  const usage = new Map<string, UsageRow>();
  const ledger = await fs.readFile(layout.llmCalls, 'utf8').catch(() => '');
  for (const line of ledger.split('\n')) {
    if (!line.trim()) continue;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      continue;
    }
    const l = LedgerLine.safeParse(raw);
    if (!l.success) continue;
    const model = `${l.data.provider}/${l.data.model}${l.data.batch ? ' (batch)' : ''}`;
    const key = `${l.data.role}\n${model}`;
    const row = usage.get(key) ?? {
      role: l.data.role,
      model,
      requests: 0,
      inputTokens: 0,
      outputTokens: 0,
      costUsd: 0,
      cachedInputTokens: 0,
      cachedInputCostUsd: 0,
      cacheSavedUsd: 0,
      reasoningTokens: 0,
    };
    row.requests += l.data.requests;
    row.inputTokens += l.data.inputTokens;
    row.outputTokens += l.data.outputTokens;
    row.costUsd += l.data.costUsd;
    row.cachedInputTokens += l.data.cachedInputTokens;
    row.cachedInputCostUsd += l.data.cachedInputCostUsd;
    row.cacheSavedUsd += l.data.cacheSavedUsd;
    row.reasoningTokens += l.data.reasoningTokens;
    usage.set(key, row);
  }
  return {
    runId: summary.success ? summary.data.runId : info.success ? info.data.runId : path.basename(dir),
    dir,
    info: info.success ? info.data : undefined,
    summary: summary.success ? summary.data : undefined,
    estimate: await readEstimate(dir),
    graph: graph.success ? graph.data : undefined,
    realised,
    samples,
    unreadable,
    failures,
    usage: [...usage.values()].sort((a, b) => a.role.localeCompare(b.role) || a.model.localeCompare(b.model)),
  };
}
