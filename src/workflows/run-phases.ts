import {
  CancellationScope,
  condition,
  continueAsNew,
  executeChild,
  getExternalWorkflowHandle,
  isCancellation,
  ParentClosePolicy,
  patched,
  workflowInfo,
} from '@temporalio/workflow';
import type { LlmRole, ResolvedRole, RunInput } from '../core/config';
import type { GraphStats } from '../core/graph';
import { kindAt, type Kind } from '../core/mix';
import { deriveSeed } from '../core/rng';
import { NO_USAGE as ZERO } from '../core/usage';
import {
  applyOverrides,
  conversationId,
  graphWorkflowId,
  MagnetRun,
  MagnetStatus,
  type ConversationInput,
  type RunCarry,
  type RunSummary,
  type RunWorkflow,
} from '../contracts';
import { buildGraph } from './build-graph';
import { conversation } from './conversation';
import { runQueue } from './proxies';
import type { RunState } from './run-state';

/**
 * The phases of a run: the pool and the graph (once per run), the fan-out of one conversation per item
 * (continuing as new every batch), the export. Each phase issues the same commands, in the same order, as the
 * single body it was cut from, and holds its own patches: recorded histories replay.
 */

/** What every phase of an execution reads: the run's input and what it decided at its start. */
export interface RunPlan {
  input: RunInput;
  roles: Record<LlmRole, ResolvedRole>;
  /** Children this execution starts before it continues as new. */
  batch: number;
  /** The kind of each item, in order, as indexes of KINDS (runs with a mix; see kindAt). */
  mix?: Uint8Array;
  /** Items per kind the mix plans (runs with a mix). */
  planned?: Record<Kind, number>;
}

/**
 * The patch after which a conversation waiting for `magnet retry` holds no slot of `concurrency.conversations`:
 * before it, as many waiting conversations as the concurrency stalled the run until their wait ran out.
 */
export const WAITING_HOLDS_NO_SLOT = 'waiting-holds-no-slot';
/**
 * The patch after which the run also continues as new when its history passes HISTORY_BYTES (or the server
 * suggests it): a child's share of the history grows with the roles' settings (about 3 KB offline, 5 KB with
 * every role on an LLM provider), so a count alone cannot keep every execution well under 1 MB.
 */
export const CONTINUE_AS_NEW_BY_SIZE = 'run-continue-as-new-by-size';
/** History bytes after which an execution of the run hands over to the next one. */
export const HISTORY_BYTES = 512 * 1024;

/** Pool and graph (stages 1-2): the pool validated into the store, the graph built by its child or loaded. */
export async function poolAndGraph(plan: RunPlan, run: RunState): Promise<RunCarry> {
  const { input } = plan;
  const pool = await runQueue.loadPoolActivity.executeWithOptions({ summary: 'load and validate the pool' }, [
    // an activity's arguments are not compared on replay: inputs of earlier releases carry no sources
    { poolPaths: input.poolPaths, poolSources: input.poolSources, storeDir: input.storeDir },
  ]);
  run.progress.phase = 'graph';
  let usage = ZERO;
  let graph: { graphRef: string; stats: GraphStats };
  if (input.graphPath) {
    graph = await runQueue.loadGraphActivity({
      graphPath: input.graphPath,
      poolRef: pool.poolRef,
      storeDir: input.storeDir,
    });
  } else {
    const built = await buildGraphChild(plan, pool.poolRef, run);
    // a graph that waited for a retry counted as one waiting step (index -1) until it went on
    run.waiting.delete(-1);
    usage = built.usage;
    graph = built;
  }
  run.progress.graph = graph.stats;
  run.progress.usage = usage;
  return {
    poolRef: pool.poolRef,
    graphRef: graph.graphRef,
    graphStats: graph.stats,
    next: 0,
    completed: 0,
    failed: 0,
    failures: {},
    turns: 0,
    calls: 0,
    retried: 0,
    usage,
  };
}

function buildGraphChild(plan: RunPlan, poolRef: string, run: RunState): ReturnType<typeof buildGraph> {
  const { input } = plan;
  // an input, not a command: a resume --set before the graph started applies to its judge
  const roles = applyOverrides(plan.roles, run.overrides);
  return executeChild(buildGraph, {
    workflowId: graphWorkflowId(input.runId),
    staticSummary: 'dependency graph (stage 2)',
    ...(input.searchAttributes ? { typedSearchAttributes: [{ key: MagnetRun, value: input.runId }] } : {}),
    args: [
      {
        storeDir: input.storeDir,
        poolRef,
        config: input.config.graphBuild,
        outDir: input.outDir,
        judge: roles.dependency_judge,
        taskQueue: input.taskQueue,
        searchAttributes: input.searchAttributes,
      },
    ],
  });
}

/**
 * Fan-out (stages 3-6, one child per item): at most `concurrency.conversations` working at once, paused and
 * stopped on request; after `batch` children (or a large history) the execution continues as new, handing over
 * the conversations that wait for a retry. A cancelled run cancels its children explicitly: they are abandoned
 * on close, so that continue-as-new can hand them over.
 */
export async function fanOut(plan: RunPlan, run: RunState): Promise<void> {
  try {
    await startAll(plan, run);
  } catch (err) {
    if (isCancellation(err)) await cancelChildren(plan.input.runId, run);
    throw err;
  }
}

/** Children are abandoned on close (so continue-as-new can hand them over): a cancelled run cancels them. */
async function cancelChildren(runId: string, run: RunState): Promise<void> {
  await CancellationScope.nonCancellable(async () => {
    for (const i of [...run.active, ...run.orphans]) {
      await getExternalWorkflowHandle(conversationId(runId, i))
        .cancel()
        .catch(() => undefined);
    }
  });
}

async function startAll(plan: RunPlan, run: RunState): Promise<void> {
  const { input, batch } = plan;
  const { conversations, concurrency } = input.config;
  const state = run.carry;
  const waitingFree = patched(WAITING_HOLDS_NO_SLOT);
  const bySize = patched(CONTINUE_AS_NEW_BY_SIZE);
  const full = (): boolean =>
    run.startedHere >= batch ||
    (bySize &&
      run.startedHere > 0 &&
      (workflowInfo().historySize > HISTORY_BYTES || workflowInfo().continueAsNewSuggested));
  const busy = (): number => (waitingFree ? run.inFlight - run.waiting.size : run.inFlight);
  while (state.next < conversations) {
    if (full()) {
      // Conversations waiting for a retry must not hold up the run: they are handed over.
      await condition(() => run.inFlight === run.waiting.size);
      await continueAsNew<RunWorkflow>(
        input,
        {
          ...state,
          orphans: [...run.orphans, ...run.waiting],
          ...(run.stopped ? { stopped: run.stopped } : {}),
          ...run.controls(),
        },
        batch,
      );
    }
    await condition(() => run.stopped || (!run.paused && busy() < concurrency.conversations));
    if (run.stopped) break;
    const index = state.next++;
    run.startedHere++;
    run.inFlight++;
    run.active.add(index);
    run.sync();
    startConversation(plan, run, index);
  }
  // a stopped run waits for the conversations still working, not for those waiting for a retry
  await condition(() =>
    run.stopped ? run.inFlight === run.waiting.size : run.inFlight === 0 && run.orphans.size === 0,
  );
}

/** Starts item `index`'s child; its end is counted when it comes (the loop does not wait for it). */
function startConversation(plan: RunPlan, run: RunState, index: number): void {
  const { input } = plan;
  const { runId, config } = input;
  const id = conversationId(runId, index);
  const kind = plan.mix ? kindAt(plan.mix, index) : undefined;
  void executeChild(conversation, {
    workflowId: id,
    staticSummary:
      kind && kind !== 'multi_turn'
        ? `${kind} item ${index + 1} of ${config.conversations}`
        : `conversation ${index + 1} of ${config.conversations}`,
    // abandoned, not cancelled, when this execution continues as new (see orphans); a cancelled run still
    // cancels them through its cancellation scope
    parentClosePolicy: ParentClosePolicy.ABANDON,
    memo: { run: runId, index, ...(kind ? { kind } : {}) },
    ...(input.searchAttributes
      ? {
          typedSearchAttributes: [
            { key: MagnetRun, value: runId },
            { key: MagnetStatus, value: 'running' },
          ],
        }
      : {}),
    args: [conversationInput(plan, run, index, id, kind)],
  })
    .then(run.count)
    .catch((err: unknown) => run.countFailure(err instanceof Error ? err.name : 'unknown'))
    .finally(() => {
      run.inFlight--;
      run.active.delete(index);
      run.waiting.delete(index);
      run.sync();
    });
}

/** A conversation's input: everything it needs, by reference (the pool and graph are in the store). */
function conversationInput(
  plan: RunPlan,
  run: RunState,
  index: number,
  id: string,
  kind: Kind | undefined,
): ConversationInput {
  const { input } = plan;
  const { runId, config } = input;
  const state = run.carry;
  // `magnet resume --set` overrides apply to the conversations started from then on (an input: no command)
  const roles = applyOverrides(plan.roles, run.overrides);
  return {
    runId,
    id,
    index,
    seed: deriveSeed(config.seed, 'conversation', index),
    storeDir: input.storeDir,
    outDir: input.outDir,
    poolRef: state.poolRef,
    graphRef: state.graphRef,
    ops: config.ops,
    distractors: config.distractors,
    execution: config.execution.mode,
    // an argument, not a command: recorded histories replay without a patch
    executionLimits: {
      timeoutMs: config.execution.timeoutSeconds * 1000,
      maxOutputBytes: config.execution.maxOutputBytes,
    },
    keepErrorTurns: config.execution.keepErrorTurns,
    regenerate: config.execution.regenerate,
    taskQueue: input.taskQueue,
    roles,
    failedTurnWaitMs: config.failedTurns.waitSeconds * 1000,
    searchAttributes: input.searchAttributes,
    negativeSamples: config.negatives.samples,
    ...(kind ? { kind } : {}),
    ...(input.poolSources?.length ? { externalTools: true } : {}),
    // absent in configs of earlier releases: their conversations get no judge step
    ...(config.quality ? { quality: config.quality } : {}),
  };
}

/** Export: the training files and the report from the records on disk. */
export function exportRun(plan: RunPlan, run: RunState): Promise<RunSummary> {
  const { input, planned } = plan;
  const { runId, config } = input;
  const state = run.carry;
  return runQueue.exportRunActivity.executeWithOptions({ summary: 'export datasets and report' }, [
    {
      runId,
      outDir: input.outDir,
      storeDir: input.storeDir,
      poolRef: state.poolRef,
      failed: state.failed,
      failures: state.failures,
      usage: state.usage,
      // the formats the config lists (an input field only: no command changes, histories replay)
      export: config.export,
      seed: config.seed,
      ops: config.ops,
      ...(planned ? { mix: planned } : {}),
      ...(config.quality ? { quality: { dedup: config.quality.dedup } } : {}),
      ...(run.stopped
        ? {
            stopped: {
              notStarted: config.conversations - state.next,
              waiting: run.waiting.size + run.orphans.size,
            },
          }
        : {}),
    },
  ]);
}
