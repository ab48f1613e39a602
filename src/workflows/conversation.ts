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
import type { LlmRole } from '../core/config';
import type { NegativeFailure } from '../core/conversation';
import { addUsage as add, NO_USAGE as ZERO, type Usage } from '../core/usage';
import { local, stepsFor } from './proxies';
import {
  type ConversationInput,
  type ConversationResult,
  type ConversationStatus,
  MagnetCategories,
  MagnetErrorType,
  MagnetStatus,
  MagnetTurns,
  type RetryTurnRequest,
  type TurnFailure,
  type TurnRef,
  applyOverrides,
  conversationFinishedSignal,
  conversationStatusQuery,
  conversationWaitingSignal,
  overrideProblem,
  retryTurnSignal,
  retryTurnUpdate,
} from '../contracts';

/** The patch after which failed negatives cost only their turn's negatives, never the conversation. */
export const NEGATIVES_OPTIONAL = 'negatives-optional';

/** The patch that moved the plan step onto the nested judge's provider queue when that judge is an LLM. */
export const PLAN_ON_PROVIDER_QUEUE = 'plan-on-provider-queue';

/** The patch that added the quality judge's step after distillation (one activity per turn). */
export const QUALITY_JUDGE = 'quality-judge';

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

/** A step's final failure as recorded and shown (the activity's own error type and message). */
export function describe(err: unknown, turn: number, stage: string): TurnFailure {
  let e: unknown = err;
  if (e instanceof ActivityFailure && e.cause) e = e.cause;
  if (e instanceof ApplicationFailure) {
    const details = e.details?.[0] as { raw?: string } | undefined;
    return { turn, stage, type: e.type ?? 'ApplicationFailure', message: e.message, raw: details?.raw };
  }
  if (e instanceof Error) return { turn, stage, type: e.name, message: e.message };
  return { turn, stage, type: 'Unknown', message: String(e) };
}

/**
 * One FSP -> one conversation (MAGNET stages 3-6): plan, then per turn back-translate -> forth-translate ->
 * execute, then distill each turn, then write the record. A step that fails for good leaves the
 * conversation waiting for a `retryTurn` signal (which re-runs just that step, keeping every finished
 * one) until `failedTurnWaitMs`; then it ends as failed with turn, stage and reason recorded.
 */
export async function conversation(input: ConversationInput): Promise<ConversationResult> {
  let roles = input.roles;
  const status: ConversationStatus = { stage: 'plan', turn: 0, turns: 0, waiting: false, usage: ZERO };
  let retry: RetryTurnRequest | undefined;
  let retried = 0;
  // set once this conversation waited for a replay: it may outlive the run execution that started it
  let everWaited = false;
  setHandler(conversationStatusQuery, () => status);
  setHandler(retryTurnSignal, (req) => void (retry = req));
  // An update handler adds no command to the history, so it needs no patch: old histories replay unchanged.
  setHandler(
    retryTurnUpdate,
    (req) => {
      retry = req;
      const failure = status.failure as TurnFailure;
      return { id: input.id, turn: failure.turn, stage: failure.stage, where: failure.where, failure };
    },
    {
      validator: (req) => {
        if (!status.waiting || !status.failure || retry !== undefined)
          throw new Error(
            `${input.id} is not waiting for a retry (${retry !== undefined ? 'a retry is already under way' : `stage ${status.stage}`})`,
          );
        for (const [key, value] of Object.entries(req?.set ?? {})) {
          const problem = overrideProblem(key, String(value), Object.keys(roles));
          if (problem) throw new Error(problem);
        }
      },
    },
  );
  // where a role's steps run (a local activity for the offline backend, its provider's queue for an LLM)
  const llmFor = (role: LlmRole): ReturnType<typeof stepsFor> => stepsFor(input.taskQueue, roles[role]);
  // steps that execute calls of MCP servers or HTTP services do network I/O and may take a while (a server
  // started, its state rebuilt): never local activities, which cannot heartbeat or move to another worker
  const toolsFor = (role: LlmRole): ReturnType<typeof stepsFor> =>
    input.externalTools && roles[role].provider === 'offline' ? local : llmFor(role);
  // steps of no role (records, failures): local activities after the patch, the workflow's queue before
  const records = (): ReturnType<typeof stepsFor> => stepsFor(input.taskQueue);
  const count = <T extends { usage: Usage }>(r: T): T => {
    status.usage = add(status.usage, r.usage);
    return r;
  };

  /** Runs one step; on a final failure waits for retryTurn (or gives up), then runs it again. */
  async function step<T>(stage: string, turn: number, fn: (summary: string) => Promise<T>): Promise<T> {
    // The activity summary is what the Temporal UI shows for each step of the conversation.
    const summary =
      stage === 'plan'
        ? input.kind && input.kind !== 'multi_turn'
          ? `plan the FSP (${input.kind})`
          : 'plan the FSP'
        : stage === 'write'
          ? 'write the record'
          : `turn ${turn + 1}/${status.turns} · ${stage}`;
    for (;;) {
      status.stage = stage;
      status.turn = turn;
      try {
        const r = await fn(summary);
        if (status.failure) {
          status.failure = undefined;
          retried++;
          mark('running');
          await records().clearFailureActivity.executeWithOptions({ summary: 'clear failure record' }, [
            { outDir: input.outDir, index: input.index },
          ]);
        }
        return r;
      } catch (err) {
        // a cancelled run cancels its conversations: that is not a turn failure
        if (isCancellation(err)) throw err;
        const failure = { ...describe(err, turn, stage), where: summary };
        status.usage = add(status.usage, paidUsage(err));
        status.failure = failure;
        mark('waiting', failure);
        await records().writeFailureActivity.executeWithOptions({ summary: `record failure: ${summary}` }, [
          { outDir: input.outDir, id: input.id, index: input.index, failure },
        ]);
        status.waiting = true;
        await tellRun(true);
        const asked =
          input.failedTurnWaitMs > 0 && (await condition(() => retry !== undefined, input.failedTurnWaitMs));
        status.waiting = false;
        await tellRun(false);
        if (!asked) throw new TurnFailed(failure);
        roles = applyOverrides(roles, retry?.set ?? {});
        retry = undefined;
      }
    }
  }

  const planned = await step('plan', 0, (summary) =>
    // An LLM nested judge makes the plan step a provider call: its queue's rate limit and retry rules apply.
    (roles.nested_judge.provider === 'llm'
      ? patched(PLAN_ON_PROVIDER_QUEUE)
        ? llmFor('nested_judge')
        : local
      : records()
    ).planConversationActivity.executeWithOptions({ summary }, [
      {
        storeDir: input.storeDir,
        poolRef: input.poolRef,
        graphRef: input.graphRef,
        seed: input.seed,
        ops: input.ops,
        distractors: input.distractors,
        nestedJudge: roles.nested_judge,
        ...(input.kind ? { kind: input.kind } : {}),
      },
    ]),
  ).catch((e: unknown) => {
    if (e instanceof TurnFailed) return e;
    throw e;
  });
  if (planned instanceof TurnFailed) return failed(planned.failure);
  count(planned);
  const { fsp } = planned;
  status.turns = fsp.turns.length;
  upsertMemo({
    run: input.runId,
    turns: fsp.turns.length,
    labels: fsp.turns.map((t) => t.labels.join('+')),
    ...(input.kind ? { kind: input.kind } : {}),
  });
  if (input.searchAttributes) {
    upsertSearchAttributes([
      { key: MagnetTurns, value: fsp.turns.length },
      { key: MagnetCategories, value: planned.categories },
    ]);
  }
  mark('running');

  const turns: TurnRef[] = [];
  const negativeFailures: NegativeFailure[] = [];
  let stateRef: string | undefined;
  const common = { storeDir: input.storeDir, poolRef: input.poolRef, seed: input.seed, fsp };
  try {
    for (let h = 0; h < fsp.turns.length; h++) {
      const base = { ...common, turnIndex: h, previous: turns.slice(), stateRef };
      const { query } = count(
        await step('back-translate', h, (summary) =>
          llmFor('back_translate').backTranslateActivity.executeWithOptions({ summary }, [
            { ...base, llm: roles.back_translate },
          ]),
        ),
      );
      const { calls } = count(
        await step('forth-translate', h, (summary) =>
          llmFor('forth_translate').forthTranslateActivity.executeWithOptions({ summary }, [
            {
              ...base,
              query,
              llm: roles.forth_translate,
            },
          ]),
        ),
      );
      let callsRef: string | undefined;
      const stateBefore = stateRef;
      if (calls.length > 0) {
        const ex = count(
          await step('execute', h, (summary) =>
            toolsFor('simulate').executeActivity.executeWithOptions({ summary }, [
              {
                ...common,
                calls,
                stateRef,
                mode: input.execution,
                limits: input.executionLimits,
                simulator: roles.simulate,
                previous: turns.slice(),
                scopeKey: input.id,
              },
            ]),
          ),
        );
        callsRef = ex.callsRef;
        stateRef = ex.stateRef;
      }
      turns.push({ query, callsRef, stateBefore });
    }
    for (let h = 0; h < turns.length; h++) {
      const t = turns[h] as TurnRef;
      const { usage, ...assistant } = await step('distill', h, (summary) =>
        llmFor('teacher').distillActivity.executeWithOptions({ summary }, [
          {
            ...common,
            turnIndex: h,
            previous: turns.slice(0, h),
            callsRef: t.callsRef,
            query: t.query,
            llm: roles.teacher,
          },
        ]),
      );
      count({ usage });
      t.assistant = assistant;
    }
    // Inputs of earlier releases have neither the judge's role nor the filter's settings: no step for them.
    const judge = (roles as Partial<typeof roles>).quality_judge;
    if (judge && input.quality && patched(QUALITY_JUDGE)) {
      for (let h = 0; h < turns.length; h++) {
        const t = turns[h] as TurnRef;
        const { verdict } = count(
          await step('quality', h, (summary) =>
            llmFor('quality_judge').qualityJudgeActivity.executeWithOptions({ summary }, [
              {
                ...common,
                turnIndex: h,
                previous: turns.slice(0, h),
                callsRef: t.callsRef,
                query: t.query,
                assistant: t.assistant as NonNullable<TurnRef['assistant']>,
                llm: judge,
              },
            ]),
          ),
        );
        t.quality = verdict;
      }
    }
    if (roles.student.provider === 'llm') {
      // mDPO negatives: sample the student per turn, judge its errors, let the teacher word each wrong answer.
      // Negatives are optional: a student or negative step that fails for good costs that turn its negatives,
      // recorded in the record, never the conversation's positive record (the patch made it so).
      const optional = patched(NEGATIVES_OPTIONAL);
      const negativeStep = async <T>(
        stage: string,
        h: number,
        fn: (summary: string) => Promise<T>,
      ): Promise<T | undefined> => {
        if (!optional) return step(stage, h, fn);
        status.stage = stage;
        status.turn = h;
        try {
          return await fn(`turn ${h + 1}/${status.turns} · ${stage}`);
        } catch (err) {
          if (isCancellation(err)) throw err;
          status.usage = add(status.usage, paidUsage(err));
          const f = describe(err, h, stage);
          negativeFailures.push({ turn: h, stage, type: f.type, message: f.message });
          return undefined;
        }
      };
      for (let h = 0; h < turns.length; h++) {
        const t = turns[h] as TurnRef;
        const base = {
          ...common,
          turnIndex: h,
          previous: turns.slice(0, h),
          stateRef: t.stateBefore,
          query: t.query,
        };
        const sampled = await negativeStep('student', h, (summary) =>
          llmFor('student').studentTurnActivity.executeWithOptions({ summary }, [
            {
              ...base,
              callsRef: t.callsRef,
              tools: planned.tools,
              samples: input.negativeSamples,
              student: roles.student,
              judge: roles.error_judge,
            },
          ]),
        );
        t.negatives = [];
        for (const w of sampled ? count(sampled).wrong : []) {
          const neg = await negativeStep('negative', h, (summary) =>
            toolsFor('negative_teacher').negativeTurnActivity.executeWithOptions({ summary }, [
              {
                ...base,
                wrong: w,
                mode: input.execution,
                teacher: roles.negative_teacher,
                scopeKey: input.id,
              },
            ]),
          );
          if (!neg) continue;
          count(neg);
          t.negatives.push({
            sample: w.sample,
            errors: w.errors,
            callsRef: neg.callsRef,
            assistant: neg.assistant,
          });
        }
      }
    }
    const models: Record<string, string> = {};
    for (const [role, r] of Object.entries(roles))
      if (r.provider === 'llm') models[role] = `${r.providerName}/${r.model}`;
    const written = await step('write', turns.length, (summary) =>
      records().writeConversationActivity.executeWithOptions({ summary }, [
        {
          storeDir: input.storeDir,
          outDir: input.outDir,
          id: input.id,
          runId: input.runId,
          index: input.index,
          seed: input.seed,
          fsp,
          tools: planned.tools,
          turns,
          provenance: { backend: Object.keys(models).length > 0 ? 'llm' : 'offline', models },
          poolRef: input.poolRef,
          ...(negativeFailures.length ? { negativeFailures } : {}),
          ...(input.kind ? { kind: input.kind } : {}),
          ...(turns.some((t) => t.quality) && input.quality
            ? { quality: { threshold: input.quality.threshold, onLow: input.quality.onLow } }
            : {}),
        },
      ]),
    );
    status.stage = 'done';
    mark('completed');
    return finish({
      id: input.id,
      index: input.index,
      status: 'completed',
      file: written.file,
      turns: written.turns,
      calls: written.calls,
      usage: status.usage,
      retried,
      ...(input.kind ? { kind: input.kind } : {}),
    });
  } catch (err) {
    if (err instanceof TurnFailed) return failed(err.failure);
    throw err;
  }

  async function tellRun(waiting: boolean): Promise<void> {
    everWaited ||= waiting;
    const parent = workflowInfo().parent;
    if (!parent || input.failedTurnWaitMs <= 0) return;
    // by workflow id: reaches whichever execution of the run is current
    await getExternalWorkflowHandle(parent.workflowId)
      .signal(conversationWaitingSignal, { index: input.index, waiting })
      .catch(() => undefined);
  }

  /** Status in the memo (shown in the UI) and, when registered, in search attributes (queryable). */
  function mark(state: 'running' | 'waiting' | 'failed' | 'completed', failure?: TurnFailure): void {
    upsertMemo({ status: state, failure: failure ?? null });
    setCurrentDetails(
      failure
        ? `${failure.where ?? `turn ${failure.turn + 1}`} failed (${failure.type}): ${failure.message}\n` +
            (state === 'waiting' ? 'waiting for `magnet retry <run> --failed`' : 'gave up')
        : `${state}${input.kind ? ` · ${input.kind}` : ''}${status.turns ? `, ${status.turns} turns` : ''}`,
    );
    if (!input.searchAttributes) return;
    upsertSearchAttributes([
      { key: MagnetStatus, value: state },
      ...(failure ? [{ key: MagnetErrorType, value: failure.type }] : []),
    ]);
  }

  async function failed(failure: TurnFailure): Promise<ConversationResult> {
    status.stage = 'failed';
    mark('failed', failure);
    return finish({
      id: input.id,
      index: input.index,
      status: 'failed',
      turns: status.turns,
      calls: 0,
      usage: status.usage,
      failure,
      retried,
      ...(input.kind ? { kind: input.kind } : {}),
    });
  }

  /** A conversation that waited may have been handed over to a newer execution of the run: tell it. */
  async function finish(result: ConversationResult): Promise<ConversationResult> {
    const parent = workflowInfo().parent;
    if (everWaited && parent) {
      await getExternalWorkflowHandle(parent.workflowId)
        .signal(conversationFinishedSignal, { index: input.index, result })
        .catch(() => undefined);
    }
    return result;
  }
}

class TurnFailed extends Error {
  constructor(readonly failure: TurnFailure) {
    super(failure.message);
    this.name = 'TurnFailed';
  }
}
