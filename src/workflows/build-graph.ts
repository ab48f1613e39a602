import {
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  patched,
  setCurrentDetails,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { addUsage, NO_USAGE, type Usage } from '../core/usage';
import { OFFLINE_JUDGE, type GraphStats } from '../core/graph';
import { describe, paidUsage } from './conversation-steps';
import { providerQueue, runQueue } from './proxies';
import {
  type BuildGraphInput,
  type ConversationStatus,
  MagnetErrorType,
  MagnetStatus,
  type TurnFailure,
  applyOverrides,
  conversationStatusQuery,
  conversationWaitingSignal,
  overrideProblem,
  retryTurnUpdate,
} from '../contracts';

/** The patch that gave each LLM judge request its own activity. */
export const GRAPH_ONE_REQUEST_PER_STEP = 'graph-one-request-per-step';
/**
 * The patch after which a judge request that fails for good waits for `magnet retry` (the run no longer
 * fails with it) and requests run in a sliding window instead of batch by batch.
 */
export const GRAPH_WAITS_FOR_RETRY = 'graph-waits-for-retry';

/**
 * The patch after which the offline judge (about a millisecond a function) gets chunks sized to the pool
 * instead of 25 functions: 20,000 functions were 800 activities, whose round trips, not the judging, set
 * the pace.
 */
export const GRAPH_OFFLINE_CHUNKS = 'graph-offline-chunks';

/** Functions per offline judge activity: about 32 activities for the pool, between 25 and 500 functions. */
function offlineChunk(functions: number): number {
  return Math.min(500, Math.max(25, Math.ceil(functions / 32)));
}

/** Where the graph stands, in the same shape as a conversation's status (so `magnet retry` finds both). */
const GRAPH_STAGE = 'graph';

type JudgeResult = { edgesRef: string; usage: Usage };

/** MAGNET stage 2: candidates by cheap affinity, then batched judging, then one graph artifact. */
export async function buildGraph(
  input: BuildGraphInput,
): Promise<{ graphRef: string; stats: GraphStats; file: string; usage: Usage; judgeRequests: number }> {
  const { candidatesRef, functions } = await runQueue.selectCandidatesActivity(input);
  // An LLM judge gets one activity per function (one request, plus its repair): a transient error then
  // retries that request alone instead of a batch of 25, whose every attempt a flaky provider would fail.
  const perRequest = input.judge.provider === 'llm' && patched(GRAPH_ONE_REQUEST_PER_STEP);
  const offlineChunks =
    input.chunk === undefined && input.judge.provider === 'offline' && patched(GRAPH_OFFLINE_CHUNKS);
  const chunk = perRequest ? 1 : (input.chunk ?? (offlineChunks ? offlineChunk(functions) : 25));
  const parallel = input.parallel ?? (perRequest ? 8 : 4);
  const ranges: [number, number][] = [];
  for (let s = 0; s < functions; s += chunk) ranges.push([s, Math.min(functions, s + chunk)]);
  const edgeRefs: string[] = new Array<string>(ranges.length);
  let usage: Usage = NO_USAGE;
  let judgeRequests = 0;
  let judgeRole = input.judge;
  const judgeOnce = ([start, end]: [number, number]): Promise<JudgeResult> =>
    providerQueue(input.taskQueue, judgeRole).judgeFunctionsActivity.executeWithOptions(
      {
        summary: `dependency judge: ${end - start > 1 ? `functions ${start + 1}-${end}` : `function ${end}`} of ${functions}`,
      },
      [{ storeDir: input.storeDir, poolRef: input.poolRef, candidatesRef, start, end, judge: judgeRole }],
    );
  const collect = (i: number, r: JudgeResult): void => {
    edgeRefs[i] = r.edgesRef;
    judgeRequests += r.usage.requests;
    usage = addUsage(usage, r.usage);
  };

  if (patched(GRAPH_WAITS_FOR_RETRY)) {
    // A request that fails for good (rejected, invalid after its repair, out of retry time) waits for
    // `magnet retry` while the others go on: without the graph the run cannot go on, and failing the run
    // would throw away every answer already paid for. Only the user ends a waiting graph (cancel).
    const failures = new Map<number, TurnFailure>();
    let generation = 0;
    const status = (): ConversationStatus => ({
      stage: GRAPH_STAGE,
      turn: 0,
      turns: 0,
      waiting: failures.size > 0,
      failure: failures.values().next().value,
      usage,
    });
    setHandler(conversationStatusQuery, status);
    setHandler(
      retryTurnUpdate,
      (req) => {
        judgeRole = applyOverrides({ dependency_judge: judgeRole }, req?.set ?? {}).dependency_judge;
        generation++;
        const failure = status().failure as TurnFailure;
        return { id: workflowInfo().workflowId, turn: 0, stage: GRAPH_STAGE, where: failure.where, failure };
      },
      {
        validator: (req) => {
          if (failures.size === 0)
            throw new Error(`${workflowInfo().workflowId} is not waiting for a retry (judging the graph)`);
          for (const [key, value] of Object.entries(req?.set ?? {})) {
            const problem = overrideProblem(key, String(value), ['dependency_judge']);
            if (problem) throw new Error(problem);
          }
        },
      },
    );
    const mark = async (waiting: boolean): Promise<void> => {
      const failure = status().failure;
      upsertMemo({ status: waiting ? 'waiting' : 'running', failure: failure ?? null });
      setCurrentDetails(
        waiting && failure
          ? `${failures.size} judge request(s) failed; first: ${failure.where} (${failure.type}): ${failure.message}\nwaiting for \`magnet retry <run>\``
          : 'judging',
      );
      if (input.searchAttributes)
        upsertSearchAttributes([
          { key: MagnetStatus, value: waiting ? 'waiting' : 'running' },
          ...(failure ? [{ key: MagnetErrorType, value: failure.type }] : []),
        ]);
      // the run counts a waiting graph like a waiting conversation (index -1) in its progress
      const parent = workflowInfo().parent;
      if (parent)
        await getExternalWorkflowHandle(parent.workflowId)
          .signal(conversationWaitingSignal, { index: -1, waiting })
          .catch(() => undefined);
    };
    const judgeUntilDone = async (i: number): Promise<JudgeResult> => {
      for (;;) {
        try {
          const r = await judgeOnce(ranges[i] as [number, number]);
          if (failures.delete(i) && failures.size === 0) await mark(false);
          return r;
        } catch (err) {
          if (isCancellation(err)) throw err;
          usage = addUsage(usage, paidUsage(err));
          const [start, end] = ranges[i] as [number, number];
          const wasWaiting = failures.size > 0;
          failures.set(i, {
            ...describe(err, 0, GRAPH_STAGE),
            where: `graph · dependency judge, function${end - start > 1 ? `s ${start + 1}-${end}` : ` ${end}`} of ${functions}`,
          });
          // taken before mark() awaits its signal: a retry accepted meanwhile must not be missed
          const seen = generation;
          if (!wasWaiting) await mark(true);
          await condition(() => generation > seen);
        }
      }
    };
    // a sliding window: a request waiting for a retry holds one slot, not a whole batch
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < ranges.length) {
        const i = next++;
        collect(i, await judgeUntilDone(i));
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, ranges.length) }, lane));
  } else {
    for (let i = 0; i < ranges.length; i += parallel) {
      const batch = ranges.slice(i, i + parallel);
      const results = await Promise.all(
        batch.map(([start, end]) =>
          providerQueue(input.taskQueue, input.judge).judgeFunctionsActivity({
            storeDir: input.storeDir,
            poolRef: input.poolRef,
            candidatesRef,
            start,
            end,
            judge: input.judge,
          }),
        ),
      );
      results.forEach((r, k) => collect(i + k, r));
    }
  }
  const assembled = await runQueue.assembleGraphActivity({
    storeDir: input.storeDir,
    poolRef: input.poolRef,
    candidatesRef,
    edgeRefs,
    config: input.config,
    outDir: input.outDir,
    judge:
      input.judge.provider === 'offline'
        ? OFFLINE_JUDGE
        : `llm:${input.judge.providerName}/${input.judge.model}`,
  });
  return { ...assembled, usage, judgeRequests };
}
