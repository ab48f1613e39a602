import { getExternalWorkflowHandle, patched, setHandler } from '@temporalio/workflow';
import type { Kind } from '../core/mix';
import { mixTally } from '../core/mix';
import { addUsage as add, NO_USAGE as ZERO } from '../core/usage';
import {
  conversationFinishedSignal,
  conversationId,
  graphWorkflowId,
  setRolesSignal,
  conversationWaitingSignal,
  pauseSignal,
  progressQuery,
  resumeSignal,
  stopSignal,
  type ConversationResult,
  type RunCarry,
  type RunPause,
  type RunProgress,
} from '../contracts';
import { PAUSE_ON_UNFIT_ROLE } from './conversation-steps';

/**
 * What one execution of a run knows and shows: the progress its query answers, the controls (pause, resume,
 * stop), the conversations in flight, waiting for a retry, or handed over by an earlier execution (orphans),
 * and the counts that continue-as-new carries to the next execution.
 */
export class RunState {
  readonly progress: RunProgress;
  paused: boolean;
  /** Why the run paused itself (a role found unfit); undefined when paused by `magnet pause` or running. */
  pause: RunPause | undefined;
  /** `magnet resume --set` overrides: the roles of the conversations started from then on. */
  overrides: Record<string, string>;
  stopped: boolean;
  /** Conversations in flight that wait for `magnet retry` (-1: the graph, while it waits). */
  readonly waiting = new Set<number>();
  /** Conversations still waiting when an earlier execution continued as new: they report their end by signal. */
  readonly orphans: Set<number>;
  /** Conversations this execution started and that have not ended. */
  readonly active = new Set<number>();
  inFlight = 0;
  startedHere = 0;
  /** Where the run is; set once the pool and the graph are ready (or carried over). */
  carry!: RunCarry;

  constructor(
    private readonly runId: string,
    conversations: number,
    carry: RunCarry | undefined,
    private readonly planned: Record<Kind, number> | undefined,
  ) {
    this.stopped = carry?.stopped ?? false;
    // a paused run stays paused across continue-as-new (runs of earlier releases carried nothing: running)
    this.paused = carry?.paused !== undefined;
    this.pause = carry?.paused?.pause;
    this.overrides = carry?.overrides ?? {};
    this.orphans = new Set<number>(carry?.orphans ?? []);
    this.progress = {
      runId,
      phase: 'pool',
      paused: this.paused,
      planned: conversations,
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
    if (planned) this.progress.mix = mixTally(planned, carry?.kinds ?? {});
    setHandler(progressQuery, () => ({
      ...this.progress,
      paused: this.paused,
      ...(this.paused && this.pause ? { pause: this.pause } : {}),
      ...(Object.keys(this.overrides).length > 0 ? { overrides: this.overrides } : {}),
      ...(this.stopped ? { stopping: true } : {}),
      waiting: this.waiting.size + this.orphans.size,
    }));
    setHandler(
      conversationWaitingSignal,
      ({ index, waiting: w }) => void (w ? this.waiting.add(index) : this.waiting.delete(index)),
    );
    setHandler(pauseSignal, (why) => {
      // the first reason stands until the run is resumed; `magnet pause` gives none
      if (why?.reason && !(this.paused && this.pause)) this.pause = why;
      this.paused = true;
    });
    setHandler(resumeSignal, (req) => {
      this.paused = false;
      this.pause = undefined;
      const set = req?.set ?? {};
      if (Object.keys(set).length === 0) return;
      this.overrides = { ...this.overrides, ...set };
      if (patched(PAUSE_ON_UNFIT_ROLE)) void this.forwardRoles(set);
    });
    setHandler(stopSignal, () => void (this.stopped = true));
  }

  /**
   * Hands `magnet resume --set` overrides to the workflows working now: the graph while it is built, the
   * conversations in flight and those handed over by an earlier execution (by id; one that ended meanwhile
   * is skipped).
   */
  private async forwardRoles(set: Record<string, string>): Promise<void> {
    const ids = [
      ...(this.progress.phase === 'graph' ? [graphWorkflowId(this.runId)] : []),
      ...[...this.active, ...this.orphans].sort((a, b) => a - b).map((i) => conversationId(this.runId, i)),
    ];
    for (const id of ids)
      await getExternalWorkflowHandle(id)
        .signal(setRolesSignal, { set })
        .catch(() => undefined);
  }

  /** What continue-as-new carries of the controls: paused (and why), the overrides. */
  controls(): Pick<RunCarry, 'paused' | 'overrides'> {
    return {
      ...(this.paused ? { paused: this.pause ? { pause: this.pause } : {} } : {}),
      ...(Object.keys(this.overrides).length > 0 ? { overrides: this.overrides } : {}),
    };
  }

  /** The pool and graph are ready: conversations may start, and handed-over ones may report. */
  begin(carry: RunCarry): void {
    this.carry = carry;
    setHandler(conversationFinishedSignal, ({ index, result }) => {
      // only handed-over conversations are counted this way; the others are awaited directly
      if (!this.orphans.delete(index)) return;
      this.count(result);
      this.sync();
    });
  }

  /** Counts a conversation's end. */
  readonly count = (r: ConversationResult): void => {
    const state = this.carry;
    state.usage = add(state.usage, r.usage);
    state.retried += r.retried;
    if (r.status === 'completed') {
      state.completed++;
      state.turns += r.turns;
      state.calls += r.calls;
      if (r.kind) state.kinds = { ...state.kinds, [r.kind]: (state.kinds?.[r.kind] ?? 0) + 1 };
    } else {
      this.countFailure(r.failure?.type ?? 'unknown');
    }
  };

  /** Counts a failed conversation (a failure type, or the error a child ended with). */
  countFailure(key: string): void {
    const state = this.carry;
    state.failed++;
    state.failures[key] = (state.failures[key] ?? 0) + 1;
  }

  /** Copies the counts into the progress the query answers. */
  sync(): void {
    const state = this.carry;
    Object.assign(this.progress, {
      inFlight: this.inFlight,
      started: state.next,
      completed: state.completed,
      failed: state.failed,
      failures: { ...state.failures },
      turns: state.turns,
      calls: state.calls,
      retried: state.retried,
      usage: state.usage,
      ...(this.planned ? { mix: mixTally(this.planned, state.kinds ?? {}) } : {}),
    });
  }
}
