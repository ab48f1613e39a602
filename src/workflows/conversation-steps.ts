import {
  ActivityFailure,
  ApplicationFailure,
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
import type { LlmRole, ResolvedRole } from '../core/config';
import type { Stage } from '../core/pipeline';
import { addUsage as add, NO_USAGE as ZERO, type Usage } from '../core/usage';
import {
  applyOverrides,
  conversationFinishedSignal,
  conversationStatusQuery,
  conversationWaitingSignal,
  MagnetErrorType,
  MagnetStatus,
  overrideProblem,
  pauseSignal,
  retryTurnSignal,
  retryTurnUpdate,
  setRolesSignal,
  type ConversationInput,
  type ConversationResult,
  type ConversationStatus,
  type RetryTurnAccepted,
  type RetryTurnRequest,
  type TurnFailure,
} from '../contracts';
import { proxyFor, type Steps } from './proxies';

/**
 * What a step that failed for good had already paid (an invalid answer and its repair): the activity's
 * failure details carry it, so totals count every paid request, not only those of steps that succeeded.
 */
export function paidUsage(err: unknown): Usage {
  const e = err instanceof ActivityFailure ? err.cause : err;
  const details =
    e instanceof ApplicationFailure ? (e.details?.[0] as { usage?: Usage } | undefined) : undefined;
  const u = details?.usage;
  return u && typeof u.requests === 'number' && typeof u.costUsd === 'number' ? u : ZERO;
}

/**
 * The patch after which a step whose role was found unfit (its answers keep failing validation, llm/fitness)
 * pauses the run and waits for `magnet resume` / `magnet retry` however short `failedTurns.waitSeconds` is;
 * the graph's requests go on past one that failed, and pause on an unfit judge.
 */
export const PAUSE_ON_UNFIT_ROLE = 'pause-on-unfit-role';

/** What a failure says when it found its role unfit (the activity's failure details, see llm/fitness). */
export interface UnfitRole {
  line: string;
  role?: string;
  model?: string;
}

/** The unfit role a step's failure reports, if it found one. */
export function unfitOf(err: unknown): UnfitRole | undefined {
  const e = err instanceof ActivityFailure ? err.cause : err;
  const details =
    e instanceof ApplicationFailure
      ? (e.details?.[0] as { unfit?: Partial<UnfitRole> } | undefined)
      : undefined;
  const u = details?.unfit;
  return u && typeof u.line === 'string' ? { line: u.line, role: u.role, model: u.model } : undefined;
}

/** Pauses the run this workflow is a child of, saying why (a conversation's or the graph's unfit role). */
export async function pauseRunFor(unfit: UnfitRole): Promise<void> {
  const parent = workflowInfo().parent;
  if (!parent) return;
  // by workflow id: reaches whichever execution of the run is current
  await getExternalWorkflowHandle(parent.workflowId)
    .signal(pauseSignal, {
      reason: unfit.line,
      ...(unfit.role ? { role: unfit.role } : {}),
      ...(unfit.model ? { model: unfit.model } : {}),
      by: workflowInfo().workflowId,
    })
    .catch(() => undefined);
}

/** A step's final failure as recorded and shown (the activity's own error type and message). */
export function describe(err: unknown, turn: number, stage: string): TurnFailure {
  let e: unknown = err;
  if (e instanceof ActivityFailure && e.cause) e = e.cause;
  if (e instanceof ApplicationFailure) {
    const details = e.details?.[0] as { raw?: string } | undefined;
    const unfit = unfitOf(e);
    return {
      turn,
      stage,
      type: e.type ?? 'ApplicationFailure',
      message: e.message,
      raw: details?.raw,
      ...(unfit ? { unfit: unfit.line } : {}),
    };
  }
  if (e instanceof Error) return { turn, stage, type: e.name, message: e.message };
  return { turn, stage, type: 'Unknown', message: String(e) };
}

/** A step failed for good and no retry came in time: the conversation ends as failed. */
export class TurnFailed extends Error {
  constructor(readonly failure: TurnFailure) {
    super(failure.message);
    this.name = 'TurnFailed';
  }
}

type ConversationState = 'running' | 'waiting' | 'failed' | 'completed';

/**
 * A conversation's steps and what they share: the roles (a retry may override them), the status its query
 * answers, the usage they paid. `run` is the one way a step runs: a step that fails for good leaves the
 * conversation waiting for a `retryTurn` update or signal (which runs just that step again, keeping every
 * finished one) until `failedTurnWaitMs`; then the conversation ends as failed with turn, stage and reason.
 */
export class ConversationSteps {
  roles: Record<LlmRole, ResolvedRole>;
  readonly status: ConversationStatus = { stage: 'plan', turn: 0, turns: 0, waiting: false, usage: ZERO };
  private retry: RetryTurnRequest | undefined;
  private retried = 0;
  // set once this conversation waited for a retry: it may outlive the run execution that started it
  private everWaited = false;

  constructor(readonly input: ConversationInput) {
    this.roles = input.roles;
    setHandler(conversationStatusQuery, () => this.status);
    setHandler(retryTurnSignal, (req) => void (this.retry = req));
    // `magnet resume --set`, forwarded by the run: the roles of the steps from now on
    setHandler(setRolesSignal, (req) => void (this.roles = applyOverrides(this.roles, req?.set ?? {})));
    // An update handler adds no command to the history, so it needs no patch: old histories replay unchanged.
    setHandler(retryTurnUpdate, (req) => this.acceptRetry(req), {
      validator: (req) => this.checkRetry(req),
    });
  }

  /** The step that runs again, as the accepted update answers. */
  private acceptRetry(req: RetryTurnRequest): RetryTurnAccepted {
    this.retry = req;
    const failure = this.status.failure as TurnFailure;
    return { id: this.input.id, turn: failure.turn, stage: failure.stage, where: failure.where, failure };
  }

  private checkRetry(req: RetryTurnRequest): void {
    const { status, retry } = this;
    if (!status.waiting || !status.failure || retry !== undefined)
      throw new Error(
        `${this.input.id} is not waiting for a retry (${retry !== undefined ? 'a retry is already under way' : `stage ${status.stage}`})`,
      );
    for (const [key, value] of Object.entries(req?.set ?? {})) {
      const problem = overrideProblem(key, String(value), Object.keys(this.roles));
      if (problem) throw new Error(problem);
    }
  }

  /** Where a step of `role` runs (none: a step of no role); see proxyFor. */
  proxy(role?: LlmRole, outsideTools = false): Steps {
    return proxyFor(this.input.taskQueue, {
      ...(role ? { role: this.roles[role] } : {}),
      // steps that execute calls of MCP servers or HTTP services do network I/O
      outsideTools: outsideTools && this.input.externalTools === true,
    });
  }

  /** Adds a step's usage to the conversation's total and hands the result on. */
  count<T extends { usage: Usage }>(r: T): T {
    this.status.usage = add(this.status.usage, r.usage);
    return r;
  }

  /** The activity summary the Temporal UI shows for a step of the conversation. */
  summary(stage: Stage, turn: number): string {
    const { kind } = this.input;
    if (stage === 'plan') return kind && kind !== 'multi_turn' ? `plan the FSP (${kind})` : 'plan the FSP';
    if (stage === 'write') return 'write the record';
    return `turn ${turn + 1}/${this.status.turns} · ${stage}`;
  }

  /** Runs one step; on a final failure waits for a retry (or gives up with TurnFailed), then runs it again. */
  async run<T>(stage: Stage, turn: number, fn: (summary: string) => Promise<T>): Promise<T> {
    const summary = this.summary(stage, turn);
    for (;;) {
      this.status.stage = stage;
      this.status.turn = turn;
      try {
        const r = await fn(summary);
        if (this.status.failure) await this.recovered();
        return r;
      } catch (err) {
        // a cancelled run cancels its conversations: that is not a turn failure
        if (isCancellation(err)) throw err;
        await this.waitForRetry({ ...describe(err, turn, stage), where: summary }, err);
      }
    }
  }

  /** A step that had failed went through on a retry: its failure record no longer applies. */
  private async recovered(): Promise<void> {
    this.status.failure = undefined;
    this.retried++;
    this.mark('running');
    await this.proxy().clearFailureActivity.executeWithOptions({ summary: 'clear failure record' }, [
      { outDir: this.input.outDir, index: this.input.index },
    ]);
  }

  private async waitForRetry(failure: TurnFailure, err: unknown): Promise<void> {
    const { input, status } = this;
    status.usage = add(status.usage, paidUsage(err));
    status.failure = failure;
    this.mark('waiting', failure);
    await this.proxy().writeFailureActivity.executeWithOptions(
      { summary: `record failure: ${failure.where}` },
      [{ outDir: input.outDir, id: input.id, index: input.index, failure }],
    );
    // a role found unfit pauses the run; its step waits for the resume (or a retry), however short the wait
    const unfit = failure.unfit !== undefined && patched(PAUSE_ON_UNFIT_ROLE) ? unfitOf(err) : undefined;
    if (unfit) await pauseRunFor(unfit);
    status.waiting = true;
    await this.tellRun(true, unfit !== undefined);
    const asked = unfit
      ? await condition(() => this.retry !== undefined).then(() => true)
      : input.failedTurnWaitMs > 0 &&
        (await condition(() => this.retry !== undefined, input.failedTurnWaitMs));
    status.waiting = false;
    await this.tellRun(false, unfit !== undefined);
    if (!asked) throw new TurnFailed(failure);
    this.roles = applyOverrides(this.roles, this.retry?.set ?? {});
    this.retry = undefined;
  }

  /**
   * Tells the run when the conversation starts or stops waiting, so its progress counts waiting ones: when it
   * may wait at all (`failedTurnWaitMs`), or `always` (a step whose role paused the run waits for the resume).
   */
  private async tellRun(waiting: boolean, always = false): Promise<void> {
    this.everWaited ||= waiting;
    const parent = workflowInfo().parent;
    if (!parent || (this.input.failedTurnWaitMs <= 0 && !always)) return;
    // by workflow id: reaches whichever execution of the run is current
    await getExternalWorkflowHandle(parent.workflowId)
      .signal(conversationWaitingSignal, { index: this.input.index, waiting })
      .catch(() => undefined);
  }

  /** Status in the memo (shown in the UI) and, when registered, in search attributes (queryable). */
  mark(state: ConversationState, failure?: TurnFailure): void {
    const { input, status } = this;
    upsertMemo({ status: state, failure: failure ?? null });
    setCurrentDetails(
      failure
        ? `${failure.where ?? `turn ${failure.turn + 1}`} failed (${failure.type}): ${failure.message}\n` +
            (state !== 'waiting'
              ? 'gave up'
              : failure.unfit
                ? `the run paused: ${failure.unfit}\nwaiting for \`magnet resume <run> --set <role>.model=<model>\``
                : 'waiting for `magnet retry <run> --failed`')
        : `${state}${input.kind ? ` · ${input.kind}` : ''}${status.turns ? `, ${status.turns} turns` : ''}`,
    );
    if (!input.searchAttributes) return;
    upsertSearchAttributes([
      { key: MagnetStatus, value: state },
      ...(failure ? [{ key: MagnetErrorType, value: failure.type }] : []),
    ]);
  }

  /** The conversation's result once its record is written. */
  completed(written: { file: string; turns: number; calls: number }): Promise<ConversationResult> {
    const { input } = this;
    this.status.stage = 'done';
    this.mark('completed');
    return this.finish({
      id: input.id,
      index: input.index,
      status: 'completed',
      file: written.file,
      turns: written.turns,
      calls: written.calls,
      usage: this.status.usage,
      retried: this.retried,
      ...(input.kind ? { kind: input.kind } : {}),
    });
  }

  /** The conversation's result when a step failed for good. */
  failed(failure: TurnFailure): Promise<ConversationResult> {
    const { input } = this;
    this.status.stage = 'failed';
    this.mark('failed', failure);
    return this.finish({
      id: input.id,
      index: input.index,
      status: 'failed',
      turns: this.status.turns,
      calls: 0,
      usage: this.status.usage,
      failure,
      retried: this.retried,
      ...(input.kind ? { kind: input.kind } : {}),
    });
  }

  /** A conversation that waited may have been handed over to a newer execution of the run: tell it. */
  private async finish(result: ConversationResult): Promise<ConversationResult> {
    const parent = workflowInfo().parent;
    if (this.everWaited && parent) {
      await getExternalWorkflowHandle(parent.workflowId)
        .signal(conversationFinishedSignal, { index: this.input.index, result })
        .catch(() => undefined);
    }
    return result;
  }
}
