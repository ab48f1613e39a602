import {
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  continueAsNew,
  executeChild,
  ParentClosePolicy,
  patched,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { runRoles, type RunInput } from '../core/config';
import type { GraphStats } from '../core/graph';
import { kindAt, mixCounts, mixOrder, mixTally, type Kind, type MixConfig, type MixTally } from '../core/mix';
import { deriveSeed } from '../core/rng';
import { addUsage as add, NO_USAGE as ZERO } from '../core/usage';
import { conversation } from './conversation';
import { buildGraph } from './build-graph';
import { runQueue } from './proxies';
import {
  type ConversationResult,
  MagnetRun,
  MagnetStatus,
  type RunCarry,
  type RunProgress,
  type RunSummary,
  conversationFinishedSignal,
  conversationId,
  conversationWaitingSignal,
  graphWorkflowId,
  pauseSignal,
  progressQuery,
  resumeSignal,
  stopSignal,
} from '../contracts';

/**
 * The patch after which a run whose config has a mix makes items of every kind (single, parallel, multiple,
 * multi-turn, irrelevance); before it, and for inputs recorded by earlier releases (no mix), every item is a
 * multi-turn conversation.
 */
export const MIX_KINDS = 'mix-kinds';

/**
 * Children started per workflow execution before continuing as new, so the history stays small: about 3 KB and
 * 8 events per child, so 200 children keep a history near 600 KB and its replay (after the worker evicted the
 * run from its cache) short. 500 gave 1.5 MB and a 13 s workflow task, over the 10 s timeout, on 2 busy cores.
 * `continueAsNewEvery` in the config sets it.
 */
export const DEFAULT_BATCH = 200;
/** Before the patch; an execution of a run that started then keeps it (continue-as-new passes it on). */
const PREVIOUS_BATCH = 500;
/** The patch that made the run continue as new every DEFAULT_BATCH children (was PREVIOUS_BATCH). */
export const SMALLER_RUN_EXECUTIONS = 'run-continue-as-new-200';
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

/**
 * The run (parent): pool -> graph -> one child workflow per conversation (bounded in flight) -> export.
 * Conversation ids are `<run>/conv-<index>`, so a child is never started twice for one index.
 */
export async function synthesisRun(
  input: RunInput,
  carry?: RunCarry,
  batchArg?: number,
): Promise<RunSummary> {
  const { runId, config } = input;
  // an execution that continued as new got its size from the first; a new run from its config or the default
  const batch =
    batchArg ??
    config.continueAsNewEvery ??
    (patched(SMALLER_RUN_EXECUTIONS) ? DEFAULT_BATCH : PREVIOUS_BATCH);
  const roles = runRoles(input);
  // a config of an earlier release has no mix (its recorded input replays as all multi-turn)
  const mixConfig = (config as { mix?: MixConfig }).mix;
  const mix =
    mixConfig && patched(MIX_KINDS) ? mixOrder(mixConfig, config.conversations, config.seed) : undefined;
  const planned = mixConfig && mix ? mixCounts(mixConfig, config.conversations) : undefined;
  let paused = false;
  let stopped = carry?.stopped ?? false;
  const progress: RunProgress = {
    runId,
    phase: 'pool',
    paused,
    planned: config.conversations,
    started: carry?.next ?? 0,
    completed: carry?.completed ?? 0,
    failed: carry?.failed ?? 0,
    inFlight: 0,
    waiting: 0,
    failures: { ...(carry?.failures ?? {}) },
    turns: carry?.turns ?? 0,
    calls: carry?.calls ?? 0,
    retried: carry?.retried ?? 0,
    usage: carry?.usage ?? ZERO,
    graph: carry?.graphStats,
  };
  const tally = (done: Partial<Record<Kind, number>> = {}): MixTally | undefined =>
    planned ? mixTally(planned, done) : undefined;
  if (planned) progress.mix = tally(carry?.kinds);
  const waiting = new Set<number>();
  const orphans = new Set<number>(carry?.orphans ?? []);
  setHandler(progressQuery, () => ({
    ...progress,
    paused,
    ...(stopped ? { stopping: true } : {}),
    waiting: waiting.size + orphans.size,
  }));
  setHandler(
    conversationWaitingSignal,
    ({ index, waiting: w }) => void (w ? waiting.add(index) : waiting.delete(index)),
  );
  setHandler(pauseSignal, () => void (paused = true));
  setHandler(resumeSignal, () => void (paused = false));
  setHandler(stopSignal, () => void (stopped = true));

  let state: RunCarry;
  if (carry) {
    state = carry;
  } else {
    const pool = await runQueue.loadPoolActivity.executeWithOptions(
      { summary: 'load and validate the pool' },
      [
        // an activity's arguments are not compared on replay: inputs of earlier releases carry no sources
        { poolPaths: input.poolPaths, poolSources: input.poolSources, storeDir: input.storeDir },
      ],
    );
    progress.phase = 'graph';
    let usage = ZERO;
    let graph: { graphRef: string; stats: GraphStats };
    if (input.graphPath) {
      graph = await runQueue.loadGraphActivity({
        graphPath: input.graphPath,
        poolRef: pool.poolRef,
        storeDir: input.storeDir,
      });
    } else {
      const built = await executeChild(buildGraph, {
        workflowId: graphWorkflowId(runId),
        staticSummary: 'dependency graph (stage 2)',
        ...(input.searchAttributes ? { typedSearchAttributes: [{ key: MagnetRun, value: runId }] } : {}),
        args: [
          {
            storeDir: input.storeDir,
            poolRef: pool.poolRef,
            config: config.graphBuild,
            outDir: input.outDir,
            judge: roles.dependency_judge,
            taskQueue: input.taskQueue,
            searchAttributes: input.searchAttributes,
          },
        ],
      });
      // a graph that waited for a retry counted as one waiting step (index -1) until it went on
      waiting.delete(-1);
      usage = built.usage;
      graph = built;
    }
    progress.graph = graph.stats;
    progress.usage = usage;
    state = {
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

  const count = (r: ConversationResult): void => {
    state.usage = add(state.usage, r.usage);
    state.retried += r.retried;
    if (r.status === 'completed') {
      state.completed++;
      state.turns += r.turns;
      state.calls += r.calls;
      if (r.kind) state.kinds = { ...state.kinds, [r.kind]: (state.kinds?.[r.kind] ?? 0) + 1 };
    } else {
      state.failed++;
      const key = r.failure?.type ?? 'unknown';
      state.failures[key] = (state.failures[key] ?? 0) + 1;
    }
  };
  setHandler(conversationFinishedSignal, ({ index, result }) => {
    // only handed-over conversations are counted this way; the others are awaited directly
    if (!orphans.delete(index)) return;
    count(result);
    sync();
  });

  progress.phase = 'conversations';
  const max = config.concurrency.conversations;
  let inFlight = 0;
  let startedHere = 0;
  function sync(): void {
    Object.assign(progress, {
      inFlight,
      started: state.next,
      completed: state.completed,
      failed: state.failed,
      failures: { ...state.failures },
      turns: state.turns,
      calls: state.calls,
      retried: state.retried,
      usage: state.usage,
      ...(planned ? { mix: tally(state.kinds) } : {}),
    });
  }
  const active = new Set<number>();
  try {
    await fanOut();
  } catch (err) {
    if (isCancellation(err)) {
      // children are abandoned on close (so continue-as-new can hand them over): cancel them explicitly
      await CancellationScope.nonCancellable(async () => {
        for (const i of [...active, ...orphans]) {
          await getExternalWorkflowHandle(conversationId(runId, i))
            .cancel()
            .catch(() => undefined);
        }
      });
    }
    throw err;
  }

  async function fanOut(): Promise<void> {
    const waitingFree = patched(WAITING_HOLDS_NO_SLOT);
    const bySize = patched(CONTINUE_AS_NEW_BY_SIZE);
    const full = (): boolean =>
      startedHere >= batch ||
      (bySize &&
        startedHere > 0 &&
        (workflowInfo().historySize > HISTORY_BYTES || workflowInfo().continueAsNewSuggested));
    const busy = (): number => (waitingFree ? inFlight - waiting.size : inFlight);
    while (state.next < config.conversations) {
      if (full()) {
        // Conversations waiting for a replay must not hold up the run: they are handed over.
        await condition(() => inFlight === waiting.size);
        await continueAsNew<typeof synthesisRun>(
          input,
          { ...state, orphans: [...orphans, ...waiting], ...(stopped ? { stopped } : {}) },
          batch,
        );
      }
      await condition(() => stopped || (!paused && busy() < max));
      if (stopped) break;
      const index = state.next++;
      startedHere++;
      inFlight++;
      active.add(index);
      sync();
      const id = conversationId(runId, index);
      const kind = mix ? kindAt(mix, index) : undefined;
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
        args: [
          {
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
            taskQueue: input.taskQueue,
            roles,
            failedTurnWaitMs: config.failedTurns.waitSeconds * 1000,
            searchAttributes: input.searchAttributes,
            negativeSamples: config.negatives.samples,
            ...(kind ? { kind } : {}),
            ...(input.poolSources?.length ? { externalTools: true } : {}),
            // absent in configs of earlier releases: their conversations get no judge step
            ...(config.quality ? { quality: config.quality } : {}),
          },
        ],
      })
        .then(count)
        .catch((err: unknown) => {
          state.failed++;
          const key = err instanceof Error ? err.name : 'unknown';
          state.failures[key] = (state.failures[key] ?? 0) + 1;
        })
        .finally(() => {
          inFlight--;
          active.delete(index);
          waiting.delete(index);
          sync();
        });
    }
    // a stopped run waits for the conversations still working, not for those waiting for a retry
    await condition(() => (stopped ? inFlight === waiting.size : inFlight === 0 && orphans.size === 0));
  }

  progress.phase = 'export';
  const summary = await runQueue.exportRunActivity.executeWithOptions(
    { summary: 'export datasets and report' },
    [
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
        ...(stopped
          ? {
              stopped: {
                notStarted: config.conversations - state.next,
                waiting: waiting.size + orphans.size,
              },
            }
          : {}),
      },
    ],
  );
  progress.phase = 'done';
  progress.summary = summary;
  return summary;
}
