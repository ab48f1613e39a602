import { promises as fs } from 'node:fs';
import { ApplicationFailure, Context } from '@temporalio/activity';
import {
  callSteps,
  ConversationRecord,
  recordStats,
  type AssistantTurn,
  type ExecutedCall,
  type NegativeFailure,
  type PlannedCall,
  type TurnRecord,
} from '../core/conversation';
import type { ResolvedRole } from '../core/config';
import { FailureType } from '../core/failures';
import { outEdges } from '../core/graph';
import type { Fsp, OpsConfig } from '../core/ops';
import type { Kind } from '../core/mix';
import { offeredAt, planConversation, sampleWalk, type Plan } from '../core/plan';
import { planSingleTurn } from '../core/single-turn';
import { addUsage, NO_USAGE, type Usage } from '../llm/request';
import type { FunctionDef } from '../core/pool';
import { originalNamesOf } from '../core/names';
import { getJson, putJson, type Ref } from '../io/artifacts';
import type { Observation } from '../tools/observe';
import { writeAtomic } from '../io/files';
import { conversationFile, failureFile, filteredFile } from '../io/run-layout';
import { graphFor, loadCalls, poolIndex, poolSources } from '../io/stored';
import { drawnStatesFor } from '../tools/states';
import { ROLES, runRole } from '../roles';
import { historyCalls, lite, turnTask } from '../roles/common';
import { loadHistory, loadStates, loadTurnContext, type TurnContext, type TurnInput } from '../roles/context';
import { OFFLINE_GENERATOR, OFFLINE_NOTE } from '../roles/offline/common';
import { teacherTask } from '../roles/teacher';
import { qualityTask } from '../roles/quality_judge';
import { groundTurns, withStateDependents } from '../core/grounding';
import { filterTurns, QualityVerdict, type QualityConfig, type QualityRecord } from '../core/quality';
import { argumentProblem, executeTurn } from '../tools/execute';
import { nonRetryableOn } from './errors';
import { externalFor } from './external';
import type { ExecutionMode } from '../core/config';
import { type TurnRef } from '../contracts';
import type { CallLimits } from '../tools/safe';

export async function planConversationActivity(input: {
  storeDir: string;
  poolRef: Ref;
  graphRef: Ref;
  seed: number;
  ops: OpsConfig;
  distractors: number;
  nestedJudge?: ResolvedRole;
  /** The item's kind in the mix; absent in inputs of earlier releases (multi-turn). */
  kind?: Kind;
}): Promise<Plan & { usage: Usage }> {
  return nonRetryableOn(async () => {
    const [pool, graph] = await Promise.all([
      poolIndex(input.storeDir, input.poolRef),
      graphFor(input.storeDir, input.graphRef),
    ]);
    if (input.kind && input.kind !== 'multi_turn') {
      // one-turn items need no walk and no nested judge (no Insert)
      const item = { graph, pool, seed: input.seed, distractors: input.distractors };
      return { ...planSingleTurn(item, input.kind), usage: NO_USAGE };
    }
    const base = { graph, pool, seed: input.seed, ops: input.ops, distractors: input.distractors };
    const walk = sampleWalk(base);
    const judge = input.nestedJudge;
    if (!judge || judge.provider === 'offline') return { ...planConversation(base, walk), usage: NO_USAGE };
    // The LLM nested judge looks at each walk function's feeding neighbours once; answers are cached, so a
    // function seen in many conversations is judged once per run.
    const adjacency = outEdges(graph);
    const verdicts = new Set<string>();
    let usage = NO_USAGE;
    for (const f of new Set(walk)) {
      const cands = (adjacency.get(f) ?? []).filter((e) => e.feeds.length > 0).map((e) => pool.get(e.to));
      const defs = cands.filter((d): d is FunctionDef => !!d);
      if (defs.length === 0) continue;
      const task = { function: lite(pool.get(f) as FunctionDef), candidates: defs.map(lite) };
      const r = await runRole(judge, ROLES.nested_judge, task);
      r.value.forEach((n) => verdicts.add(`${f}->${n}`));
      usage = addUsage(usage, r.usage);
    }
    return { ...planConversation({ ...base, isNested: (a, b) => verdicts.has(`${a}->${b}`) }, walk), usage };
  });
}

export async function backTranslateActivity(
  input: TurnInput & { llm: ResolvedRole },
): Promise<{ query: string; usage: Usage }> {
  return nonRetryableOn(async () => {
    const ctx = await loadTurnContext(input);
    const r = await runRole(input.llm, ROLES.back_translate, turnTask(ctx), ctx.seed);
    return { query: r.value, usage: r.usage };
  });
}

export async function forthTranslateActivity(
  input: TurnInput & { query: string; llm: ResolvedRole },
): Promise<{ calls: PlannedCall[]; usage: Usage }> {
  return nonRetryableOn(async () => {
    const ctx = await loadTurnContext(input);
    // Empty (missing-information) turns have nothing to call: the right answer is to ask or decline.
    if (ctx.turn.missing) return { calls: [], usage: NO_USAGE };
    const r = await runRole(
      input.llm,
      ROLES.forth_translate,
      { ...turnTask(ctx), query: input.query },
      ctx.seed,
    );
    return { calls: r.value, usage: r.usage };
  });
}

export async function executeActivity(input: {
  storeDir: string;
  poolRef: Ref;
  seed: number;
  calls: PlannedCall[];
  stateRef?: Ref;
  mode: ExecutionMode;
  /** Timeout and output cap of outside tools' calls (absent in inputs of earlier releases: defaults). */
  limits?: CallLimits;
  /** Who plays functions that have no implementation. */
  simulator: ResolvedRole;
  /** Calls of earlier turns, for a simulator that must stay consistent with them. */
  previous: TurnRef[];
  /** The conversation's id: its state scope on MCP servers (absent in inputs of earlier releases). */
  scopeKey?: string;
}): Promise<{
  callsRef: Ref;
  stateRef: Ref;
  /** Each planned call's result; a failed one with its arguments (the feedback of a turn written again). */
  results: { id: string; name: string; error?: string; arguments?: Record<string, unknown> }[];
  usage: Usage;
}> {
  return nonRetryableOn(async () => {
    const pool = await poolIndex(input.storeDir, input.poolRef);
    const states = await loadStates(input.storeDir, input.stateRef);
    let usage = NO_USAGE;
    const sim = input.simulator;
    let simulate;
    if (sim.provider === 'llm') {
      const history = await loadHistory(input.storeDir, input.previous);
      simulate = async (
        def: FunctionDef,
        args: Record<string, unknown>,
        done: ExecutedCall[],
      ): Promise<unknown> => {
        const task = { function: lite(def), arguments: args, history: historyCalls([...history, ...done]) };
        const r = await runRole(sim, ROLES.simulate, task, input.seed);
        usage = addUsage(usage, r.usage);
        return r.value;
      };
    }
    // outside tools keep their own state: one scope per conversation, rebuilt from its calls when retried
    const external = await externalFor(
      input,
      input.scopeKey ?? `${input.poolRef}/${input.seed}`,
      input.limits,
    );
    // the reference answer becomes training data: only calls whose arguments fit are made (strict). An outside
    // call may take a while (a server started, its state rebuilt, a hung one restarted): safeCall heartbeats
    // while it waits (external.heartbeat), so a live worker keeps the step and a dead one's moves elsewhere
    const {
      calls,
      states: next,
      skipped,
    } = await executeTurn(input.calls, pool, states, input.seed, input.mode, simulate, true, external);
    return {
      callsRef: await putJson(input.storeDir, calls),
      stateRef: await putJson(input.storeDir, next),
      results: [
        ...calls.map((c) =>
          c.error
            ? { id: c.id, name: c.name, error: c.error, arguments: c.arguments }
            : { id: c.id, name: c.name },
        ),
        ...skipped.map((c) => ({
          id: c.id,
          name: c.name,
          error: `not made: ${c.reason}`,
          arguments: input.calls.find((p) => p.id === c.id)?.arguments ?? {},
        })),
      ],
      usage,
    };
  });
}

/** A finished turn's context and its executed calls (none for an empty turn). */
async function turnAndCalls(
  input: TurnInput & { callsRef?: Ref },
): Promise<{ ctx: TurnContext; calls: ExecutedCall[] }> {
  const ctx = await loadTurnContext(input);
  return { ctx, calls: input.callsRef ? await loadCalls(input.storeDir, input.callsRef) : [] };
}

export async function distillActivity(
  input: TurnInput & { callsRef?: Ref; query: string; llm: ResolvedRole },
): Promise<AssistantTurn & { usage: Usage }> {
  return nonRetryableOn(async () => {
    const { ctx, calls } = await turnAndCalls(input);
    const r = await runRole(
      input.llm,
      ROLES.teacher,
      teacherTask(ctx, input.query, callSteps(calls)),
      ctx.seed,
    );
    return { ...r.value, usage: r.usage };
  });
}

/** The quality judge on one distilled turn: a score per check (rules offline, a model when configured). */
export async function qualityJudgeActivity(
  input: TurnInput & { callsRef?: Ref; query: string; assistant: AssistantTurn; llm: ResolvedRole },
): Promise<{ verdict: QualityVerdict; usage: Usage }> {
  return nonRetryableOn(async () => {
    const { ctx, calls } = await turnAndCalls(input);
    const r = await runRole(
      input.llm,
      ROLES.quality_judge,
      qualityTask(ctx, input.query, calls, input.assistant),
      ctx.seed,
    );
    return { verdict: r.value, usage: r.usage };
  });
}

/** Writes the finished conversation as one JSON file (atomically; rewriting it gives the same file). */
export async function writeConversationActivity(input: {
  storeDir: string;
  outDir: string;
  id: string;
  runId: string;
  index: number;
  seed: number;
  fsp: Fsp;
  tools: string[];
  turns: TurnRef[];
  provenance: { backend: string; models: Record<string, string> };
  /** The pool, to check every call against its tool (absent in inputs of earlier releases). */
  poolRef?: Ref;
  /** Turns whose negatives could not be made; the positive record is written all the same. */
  negativeFailures?: NegativeFailure[];
  /** The item's kind in the mix; absent in inputs of earlier releases (multi-turn). */
  kind?: Kind;
  /** The quality filter's settings, when the turns were judged (absent in inputs of earlier releases). */
  quality?: Pick<QualityConfig, 'threshold' | 'onLow'>;
  /** Share of turns with failed calls kept, labelled (execution.keepErrorTurns; absent in earlier inputs). */
  keepErrorTurns?: number;
}): Promise<{ file: string; turns: number; calls: number; failedCalls: number; filtered?: boolean }> {
  let turns: TurnRecord[] = [];
  // a local activity (the workflow's choice for this cheap step) has no heartbeat: the server knows it not
  const ctx = Context.current();
  const beat = ctx.info.isLocal ? (): void => undefined : (): void => ctx.heartbeat();
  for (const [i, t] of input.turns.entries()) {
    const fspTurn = input.fsp.turns[i];
    if (!fspTurn || !t.assistant) throw new Error(`turn ${i} of ${input.id} is incomplete`);
    turns.push({
      index: i,
      labels: fspTurn.labels,
      functions: fspTurn.functions,
      missing: fspTurn.missing,
      ...(fspTurn.adds ? { adds: fspTurn.adds } : {}),
      query: t.query,
      calls: t.callsRef ? await loadCalls(input.storeDir, t.callsRef) : [],
      assistant: t.assistant,
      ...(t.regenerated ? { regenerated: t.regenerated } : {}),
      ...(t.observedRef ? { observed: (await getJson(input.storeDir, t.observedRef)) as Observation[] } : {}),
      negatives: await Promise.all(
        (t.negatives ?? []).map(async (n) => ({
          sample: n.sample,
          errors: n.errors,
          calls: await loadCalls(input.storeDir, n.callsRef),
          assistant: n.assistant,
        })),
      ),
    });
    beat();
  }
  let environment: ConversationRecord['environment'];
  let originalNames: ConversationRecord['originalNames'];
  if (input.poolRef) {
    const pool = await poolIndex(input.storeDir, input.poolRef);
    refuseInvalidCalls(input.id, turns, (turn) => offeredAt(input.fsp, input.tools, turn), pool);
    environment = await environmentOf(input.storeDir, input.poolRef, input.tools, pool, input.seed);
    originalNames = originalNamesOf(input.tools, pool);
  }
  // calls that failed or could not be made: such turns leave the record (or are kept, labelled, within
  // keepErrorTurns) with the turns that depend on them (core/grounding)
  const grounding = groundTurns(
    turns.map((t, i) => ({
      ...withSources(t),
      planned: t.missing ? 0 : t.functions.length,
      ...(input.turns[i]?.failures ? { failures: input.turns[i]?.failures } : {}),
    })),
    input.seed,
    input.keepErrorTurns ?? 0.05,
  );
  const groundingGone = new Set(grounding.dropped.map((d) => d.turn));
  turns = turns
    .filter((t) => !groundingGone.has(t.index))
    .map((t) =>
      grounding.keptErrorTurns.includes(t.index) ? { ...t, labels: [...t.labels, 'tool_error' as const] } : t,
    );
  // the quality filter: low turns (and what depends on them) leave the record; the record says which and why
  let quality: QualityRecord | undefined;
  if (input.quality) {
    const verdicts = new Map(
      input.turns.flatMap((t, i) => (t.quality ? [[i, QualityVerdict.parse(t.quality)] as const] : [])),
    );
    const f = filterTurns(turns, verdicts, input.quality);
    // a removed turn that changed an outside server takes the later turns on it along (the record replays)
    const dropped = withStateDependents(
      turns.map(withSources),
      new Map(f.dropped.map(({ turn, ...d }) => [turn, d])),
    );
    quality = { ...input.quality, scores: f.scores, dropped };
    const gone = new Set(dropped.map((d) => d.turn));
    turns = turns.filter((t) => !gone.has(t.index));
  }
  const record = ConversationRecord.parse({
    id: input.id,
    runId: input.runId,
    index: input.index,
    kind: input.kind ?? 'multi_turn',
    fsp: input.fsp,
    tools: input.tools,
    ...(originalNames ? { originalNames } : {}),
    turns,
    stats: recordStats(turns),
    ...(input.negativeFailures?.length ? { negativeFailures: input.negativeFailures } : {}),
    ...(quality ? { quality } : {}),
    ...(environment ? { environment } : {}),
    ...(grounding.dropped.length || grounding.keptErrorTurns.length ? { grounding } : {}),
    provenance: {
      ...input.provenance,
      seed: input.seed,
      generator: input.provenance.backend === 'offline' ? OFFLINE_GENERATOR : 'magnet-llm/1',
      note: input.provenance.backend === 'offline' ? OFFLINE_NOTE : undefined,
    },
  });
  // a conversation the filter emptied is kept aside (for counting and inspection), never exported; a rerun
  // that writes it again replaces whichever of the two files an earlier attempt left
  const filtered = turns.length === 0;
  const file = (filtered ? filteredFile : conversationFile)(input.outDir, input.index);
  await writeAtomic(file, JSON.stringify(record, null, 1));
  await fs.rm((filtered ? conversationFile : filteredFile)(input.outDir, input.index), { force: true });
  // the conversation made it (possibly after a retry or a reset): an old failure record no longer applies
  await fs.rm(failureFile(input.outDir, input.index), { force: true });
  return { file, ...record.stats, ...(filtered ? { filtered } : {}) };
}

/** A turn's calls with the outside server or service each ran on (their state outlives the turn). */
function withSources(t: TurnRecord): TurnRecord & { calls: (ExecutedCall & { source?: string })[] } {
  return {
    ...t,
    calls: t.calls.map((c) => ({
      ...c,
      ...(c.executor === 'http' || c.executor.startsWith('mcp') ? { source: c.executor } : {}),
    })),
  };
}

/** The drawn state of each stateful source whose tools the conversation offers (see core/environment). */
async function environmentOf(
  storeDir: string,
  poolRef: Ref,
  tools: readonly string[],
  pool: ReadonlyMap<string, FunctionDef>,
  seed: number,
): Promise<ConversationRecord['environment']> {
  const drawn = drawnStatesFor(
    await poolSources(storeDir, poolRef),
    tools.map((t) => pool.get(t)),
    seed,
  );
  return Object.keys(drawn).length ? drawn : undefined;
}

/**
 * The last guard of "valid by construction": every call of the reference answer names an offered tool, has
 * all required arguments of the right types and has its result. A record that breaks this is refused (the
 * conversation fails with InvalidCall, counted by type), never exported.
 */
function refuseInvalidCalls(
  id: string,
  turns: TurnRecord[],
  /** The tools offered at a turn (a function a later turn adds is not offered before it). */
  toolsAt: (turn: number) => readonly string[],
  pool: ReadonlyMap<string, FunctionDef>,
): void {
  for (const t of turns) {
    const tools = toolsAt(t.index);
    for (const c of t.calls) {
      const def = pool.get(c.name);
      const problem = !tools.includes(c.name)
        ? `${c.name} is not among the offered tools at this turn`
        : !def
          ? `${c.name} is not in the pool`
          : (argumentProblem(def, c.arguments) ??
            (c.output === undefined && !c.error ? 'it has no result' : undefined));
      if (problem)
        throw ApplicationFailure.create({
          type: FailureType.InvalidCall,
          nonRetryable: true,
          message: `${id} turn ${t.index + 1}: call ${c.id} (${c.name}) refused: ${problem}`,
        });
    }
  }
}

/** Records why a conversation failed, next to the conversations, for `magnet status` and `magnet retry`. */
export async function writeFailureActivity(input: {
  outDir: string;
  id: string;
  index: number;
  failure: { turn: number; stage: string; type: string; message: string };
}): Promise<{ file: string }> {
  const file = failureFile(input.outDir, input.index);
  await writeAtomic(file, JSON.stringify({ id: input.id, index: input.index, ...input.failure }, null, 2));
  return { file };
}

/** The conversation recovered (a retried turn succeeded): its failure file no longer applies. */
export async function clearFailureActivity(input: { outDir: string; index: number }): Promise<void> {
  await fs.rm(failureFile(input.outDir, input.index), { force: true });
}
