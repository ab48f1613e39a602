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
import type { ResolvedRole } from '../core/config';
import { OFFLINE_JUDGE } from '../core/graph';
import {
  describe,
  paidUsage,
  PAUSE_ON_UNFIT_ROLE,
  pauseRunFor,
  unfitOf,
  type UnfitRole,
} from './conversation-steps';
import { providerQueue, runQueue } from './proxies';
import {
  type BuildGraphInput,
  type BuildGraphResult,
  type RetryTurnAccepted,
  type RetryTurnRequest,
  type ConversationStatus,
  MagnetErrorType,
  MagnetStatus,
  type TurnFailure,
  applyOverrides,
  conversationStatusQuery,
  conversationWaitingSignal,
  overrideProblem,
  retryTurnUpdate,
  setRolesSignal,
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
type Range = [number, number];

/** MAGNET stage 2: candidates by cheap affinity, then batched judging, then one graph artifact. */
export async function buildGraph(input: BuildGraphInput): Promise<BuildGraphResult> {
  const { candidatesRef, functions } = await runQueue.selectCandidatesActivity(input);
  // An LLM judge gets one activity per function (one request, plus its repair): a transient error then
  // retries that request alone instead of a batch of 25, whose every attempt a flaky provider would fail.
  const perRequest = input.judge.provider === 'llm' && patched(GRAPH_ONE_REQUEST_PER_STEP);
  const offlineChunks =
    input.chunk === undefined && input.judge.provider === 'offline' && patched(GRAPH_OFFLINE_CHUNKS);
  const chunk = perRequest ? 1 : (input.chunk ?? (offlineChunks ? offlineChunk(functions) : 25));
  const parallel = input.parallel ?? (perRequest ? 8 : 4);
  const ranges: Range[] = [];
  for (let s = 0; s < functions; s += chunk) ranges.push([s, Math.min(functions, s + chunk)]);
  const judging = new Judging(input, candidatesRef, functions, ranges.length);
  if (patched(PAUSE_ON_UNFIT_ROLE)) await judgeGoingOn(judging, ranges, parallel);
  else if (patched(GRAPH_WAITS_FOR_RETRY)) await judgeWaitingForRetries(judging, ranges, parallel);
  else await judgeInBatches(judging, ranges, parallel);
  const assembled = await runQueue.assembleGraphActivity({
    storeDir: input.storeDir,
    poolRef: input.poolRef,
    candidatesRef,
    edgeRefs: judging.edgeRefs,
    config: input.config,
    outDir: input.outDir,
    judge:
      input.judge.provider === 'offline'
        ? OFFLINE_JUDGE
        : `llm:${input.judge.providerName}/${input.judge.model}`,
  });
  return { ...assembled, usage: judging.usage, judgeRequests: judging.judgeRequests };
}

/** The judge's requests over the ranges of functions, and what they answered and cost. */
class Judging {
  readonly edgeRefs: string[];
  usage: Usage = NO_USAGE;
  judgeRequests = 0;
  /** The judge as a retry may have overridden it. */
  judgeRole: ResolvedRole;

  constructor(
    readonly input: BuildGraphInput,
    readonly candidatesRef: string,
    readonly functions: number,
    chunks: number,
  ) {
    this.edgeRefs = new Array<string>(chunks);
    this.judgeRole = input.judge;
  }

  judgeOnce([start, end]: Range): Promise<JudgeResult> {
    const { input, functions } = this;
    return providerQueue(input.taskQueue, this.judgeRole).judgeFunctionsActivity.executeWithOptions(
      {
        summary: `dependency judge: ${end - start > 1 ? `functions ${start + 1}-${end}` : `function ${end}`} of ${functions}`,
      },
      [
        {
          storeDir: input.storeDir,
          poolRef: input.poolRef,
          candidatesRef: this.candidatesRef,
          start,
          end,
          judge: this.judgeRole,
        },
      ],
    );
  }

  collect(i: number, r: JudgeResult): void {
    this.edgeRefs[i] = r.edgesRef;
    this.judgeRequests += r.usage.requests;
    this.usage = addUsage(this.usage, r.usage);
  }
}

/** Before GRAPH_WAITS_FOR_RETRY: batch by batch, and a request that fails for good fails the graph. */
async function judgeInBatches(j: Judging, ranges: Range[], parallel: number): Promise<void> {
  const { input } = j;
  for (let i = 0; i < ranges.length; i += parallel) {
    const batch = ranges.slice(i, i + parallel);
    const results = await Promise.all(
      batch.map(([start, end]) =>
        providerQueue(input.taskQueue, input.judge).judgeFunctionsActivity({
          storeDir: input.storeDir,
          poolRef: input.poolRef,
          candidatesRef: j.candidatesRef,
          start,
          end,
          judge: input.judge,
        }),
      ),
    );
    results.forEach((r, k) => j.collect(i + k, r));
  }
}

/**
 * A request that fails for good (rejected, invalid after its repair, out of retry time) waits for
 * `magnet retry` while the others go on: without the graph the run cannot go on, and failing the run
 * would throw away every answer already paid for. Only the user ends a waiting graph (cancel). Requests run
 * in a sliding window: a request waiting for a retry holds one slot, not a whole batch.
 */
async function judgeWaitingForRetries(j: Judging, ranges: Range[], parallel: number): Promise<void> {
  const waits = new GraphWaits(j);
  const judgeUntilDone = async (i: number): Promise<JudgeResult> => {
    for (;;) {
      try {
        const r = await j.judgeOnce(ranges[i] as Range);
        await waits.done(i);
        return r;
      } catch (err) {
        if (isCancellation(err)) throw err;
        await waits.failed(i, ranges[i] as Range, err);
      }
    }
  };
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < ranges.length) {
      const i = next++;
      j.collect(i, await judgeUntilDone(i));
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, ranges.length) }, lane));
}

/**
 * After PAUSE_ON_UNFIT_ROLE: a request that fails for good waits for `magnet retry` without holding its lane,
 * so the lanes go on with the next requests meanwhile; an accepted retry puts the failed ones back first in
 * line. A failure that found the judge unfit (its answers keep failing validation, llm/fitness) pauses the
 * lanes and the run until a retry is accepted (`magnet resume` sends one), so a judge that cannot do the job
 * costs the requests that found it out, not one pair of requests per function of the pool.
 */
async function judgeGoingOn(j: Judging, ranges: Range[], parallel: number): Promise<void> {
  const waits = new GraphWaits(j);
  const todo = ranges.map((_, i) => i);
  let running = 0;
  const finished = (): boolean => todo.length === 0 && running === 0 && waits.parked.length === 0;
  const lane = async (): Promise<void> => {
    for (;;) {
      await condition(() => finished() || waits.requeue.length > 0 || (!waits.paused && todo.length > 0));
      todo.unshift(...waits.requeue.splice(0));
      if (finished()) return;
      if (waits.paused || todo.length === 0) continue;
      const i = todo.shift() as number;
      running++;
      try {
        const r = await j.judgeOnce(ranges[i] as Range);
        await waits.done(i);
        j.collect(i, r);
      } catch (err) {
        if (isCancellation(err)) throw err;
        await waits.park(i, ranges[i] as Range, err);
      } finally {
        running--;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, ranges.length) }, lane));
}

/** The graph's failed requests, shown like a waiting conversation (so `magnet retry` finds both). */
class GraphWaits {
  private readonly failures = new Map<number, TurnFailure>();
  private generation = 0;
  /** Requests that failed for good and wait for a retry while the lanes go on (judgeGoingOn). */
  readonly parked: number[] = [];
  /** Parked requests a retry let go again, for the lanes to take first. */
  readonly requeue: number[] = [];
  /** A failure found the judge unfit: no request starts until a retry is accepted (judgeGoingOn). */
  paused: UnfitRole | undefined;

  constructor(private readonly j: Judging) {
    setHandler(conversationStatusQuery, () => this.status());
    setHandler(retryTurnUpdate, (req) => this.accept(req), { validator: (req) => this.check(req) });
    // `magnet resume --set`, forwarded by the run: the judge of the requests from now on
    setHandler(setRolesSignal, (req) => void (this.j.judgeRole = this.overridden(req)));
  }

  private overridden(req: RetryTurnRequest | undefined): ResolvedRole {
    return applyOverrides({ dependency_judge: this.j.judgeRole }, req?.set ?? {}).dependency_judge;
  }

  status(): ConversationStatus {
    return {
      stage: GRAPH_STAGE,
      turn: 0,
      turns: 0,
      waiting: this.failures.size > 0,
      failure: this.failures.values().next().value,
      usage: this.j.usage,
    };
  }

  private accept(req: RetryTurnRequest): RetryTurnAccepted {
    this.j.judgeRole = this.overridden(req);
    this.generation++;
    this.requeue.push(...this.parked.splice(0));
    this.paused = undefined;
    const failure = this.status().failure as TurnFailure;
    return { id: workflowInfo().workflowId, turn: 0, stage: GRAPH_STAGE, where: failure.where, failure };
  }

  private check(req: RetryTurnRequest): void {
    if (this.failures.size === 0)
      throw new Error(`${workflowInfo().workflowId} is not waiting for a retry (judging the graph)`);
    for (const [key, value] of Object.entries(req?.set ?? {})) {
      const problem = overrideProblem(key, String(value), ['dependency_judge']);
      if (problem) throw new Error(problem);
    }
  }

  /** Request `i` went through: the graph stops waiting when it was the last failed one. */
  async done(i: number): Promise<void> {
    if (this.failures.delete(i) && this.failures.size === 0) await this.mark(false);
  }

  /** Request `i` failed for good: its failure is recorded (what it paid counted); was the graph waiting? */
  private record(i: number, [start, end]: Range, err: unknown): boolean {
    this.j.usage = addUsage(this.j.usage, paidUsage(err));
    const wasWaiting = this.failures.size > 0;
    this.failures.set(i, {
      ...describe(err, 0, GRAPH_STAGE),
      where: `graph · dependency judge, function${end - start > 1 ? `s ${start + 1}-${end}` : ` ${end}`} of ${this.j.functions}`,
    });
    return wasWaiting;
  }

  /** Request `i` failed for good: record it and wait for the next retry. */
  async failed(i: number, range: Range, err: unknown): Promise<void> {
    const wasWaiting = this.record(i, range, err);
    // taken before mark() awaits its signal: a retry accepted meanwhile must not be missed
    const seen = this.generation;
    if (!wasWaiting) await this.mark(true);
    await condition(() => this.generation > seen);
  }

  /**
   * Request `i` failed for good (judgeGoingOn): record it and set it aside until a retry; when it found the
   * judge unfit, pause the lanes and the run.
   */
  async park(i: number, range: Range, err: unknown): Promise<void> {
    const wasWaiting = this.record(i, range, err);
    this.parked.push(i);
    const unfit = unfitOf(err);
    const pausing = unfit !== undefined && this.paused === undefined;
    if (pausing) this.paused = unfit;
    if (!wasWaiting || pausing) await this.mark(true);
    if (pausing) await pauseRunFor(unfit);
  }

  private async mark(waiting: boolean): Promise<void> {
    const failure = this.status().failure;
    upsertMemo({ status: waiting ? 'waiting' : 'running', failure: failure ?? null });
    setCurrentDetails(
      waiting && failure
        ? `${this.failures.size} judge request(s) failed; first: ${failure.where} (${failure.type}): ${failure.message}\n` +
            (this.paused
              ? `the run paused: ${this.paused.line}\nwaiting for \`magnet resume <run> --set dependency_judge.model=<model>\``
              : 'waiting for `magnet retry <run>`')
        : 'judging',
    );
    if (this.j.input.searchAttributes)
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
  }
}
