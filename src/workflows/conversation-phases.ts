import { isCancellation, patched, upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import type * as activities from '../activities';
import type { ResolvedRole } from '../core/config';
import type { NegativeFailure } from '../core/conversation';
import type { Fsp } from '../core/ops';
import type { Stage } from '../core/pipeline';
import { addUsage as add } from '../core/usage';
import { MagnetCategories, MagnetTurns, type TurnRef } from '../contracts';
import {
  describe,
  paidUsage,
  PAUSE_ON_UNFIT_ROLE,
  pauseRunFor,
  unfitOf,
  type ConversationSteps,
} from './conversation-steps';
import { runQueue } from './proxies';

/**
 * The phases of a conversation (MAGNET stages 3-6), in the order of src/core/pipeline.ts. Each phase issues
 * the same commands, in the same order, as the single body it was cut from, and holds its own patches:
 * histories recorded by every release replay (test/workflows/history-replay.test.ts).
 */

export type Planned = Awaited<ReturnType<typeof activities.planConversationActivity>>;

/** The patch that moved the plan step onto the nested judge's provider queue when that judge is an LLM. */
export const PLAN_ON_PROVIDER_QUEUE = 'plan-on-provider-queue';

/** The patch that added the quality judge's step after distillation (one activity per turn). */
export const QUALITY_JUDGE = 'quality-judge';

/** The patch after which failed negatives cost only their turn's negatives, never the conversation. */
export const NEGATIVES_OPTIONAL = 'negatives-optional';

/** What every step of a turn gets: where the artifacts are, the seed, the plan. */
function common(
  c: ConversationSteps,
  fsp: Fsp,
): { storeDir: string; poolRef: string; seed: number; fsp: Fsp } {
  return { storeDir: c.input.storeDir, poolRef: c.input.poolRef, seed: c.input.seed, fsp };
}

/** Plan: walk, Merge / Insert / Split; the conversation's memo and search attributes get its shape. */
export async function plan(c: ConversationSteps): Promise<Planned> {
  const { input } = c;
  // the judge as it is at each attempt: a retry may override its model
  const judge = (): ResolvedRole => c.roles.nested_judge;
  const planned = await c.run('plan', 0, (summary) =>
    // An LLM nested judge makes the plan step a provider call: its queue's rate limit and retry rules apply.
    (judge().provider === 'llm' && !patched(PLAN_ON_PROVIDER_QUEUE)
      ? runQueue
      : c.proxy(judge().provider === 'llm' ? 'nested_judge' : undefined)
    ).planConversationActivity.executeWithOptions({ summary }, [
      {
        storeDir: input.storeDir,
        poolRef: input.poolRef,
        graphRef: input.graphRef,
        seed: input.seed,
        ops: input.ops,
        distractors: input.distractors,
        nestedJudge: judge(),
        ...(input.kind ? { kind: input.kind } : {}),
      },
    ]),
  );
  c.count(planned);
  const { fsp } = planned;
  c.status.turns = fsp.turns.length;
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
  c.mark('running');
  return planned;
}

/** The patch that writes a turn again (up to `regenerate` times) when its calls failed or were not made. */
export const REGENERATE_FAILED_TURNS = 'regenerate-failed-turns';

/** The patch that looks at the outside servers' state (read-only calls) before each turn is written. */
export const OBSERVE_ENVIRONMENT = 'observe-environment';

type Feedback = NonNullable<Parameters<typeof activities.backTranslateActivity>[0]['feedback']>;

/**
 * Translate and execute every turn, in order: back-translate (the user's message), forth-translate (the
 * calls), execute (their outputs, which later turns may use). A turn whose calls failed or could not be made
 * is written again with the failures as feedback, up to the input's `regenerate` times (other values, the
 * environment as it is); what still fails is left to the record's grounding (core/grounding). Returns the
 * turns as the workflow keeps them.
 */
export async function translateTurns(c: ConversationSteps, fsp: Fsp): Promise<TurnRef[]> {
  const turns: TurnRef[] = [];
  let stateRef: string | undefined;
  for (let h = 0; h < fsp.turns.length; h++) {
    const stateBefore = stateRef;
    const observedRef = await observeBefore(c, fsp, h, turns);
    let feedback: Feedback | undefined;
    for (let attempt = 0; ; attempt++) {
      const r = await writeTurn(c, fsp, h, turns, stateBefore, feedback, observedRef);
      const failures = r.failures;
      if (
        failures.length === 0 ||
        attempt >= (c.input.regenerate ?? 0) ||
        !patched(REGENERATE_FAILED_TURNS)
      ) {
        stateRef = r.stateRef ?? stateBefore;
        turns.push({
          query: r.query,
          callsRef: r.callsRef,
          stateBefore,
          ...(attempt > 0 ? { regenerated: attempt } : {}),
          ...(observedRef ? { observedRef } : {}),
          ...(failures.length ? { failures: failures.slice(0, 3).map((f) => `${f.name}: ${f.error}`) } : {}),
        });
        break;
      }
      feedback = { attempt: attempt + 1, failures };
    }
  }
  return turns;
}

/**
 * Observe: read-only calls on the conversation's outside servers before turn `h`, so its roles know what
 * exists (pools with MCP servers or OpenAPI services only). Undefined when nothing was observed.
 */
async function observeBefore(
  c: ConversationSteps,
  fsp: Fsp,
  h: number,
  turns: TurnRef[],
): Promise<string | undefined> {
  const { input } = c;
  if (input.externalTools !== true || !patched(OBSERVE_ENVIRONMENT)) return undefined;
  const r = await c.run('observe', h, (summary) =>
    c.proxy(undefined, true).observeActivity.executeWithOptions({ summary }, [
      {
        ...common(c, fsp),
        turnIndex: h,
        previous: turns.slice(),
        limits: input.executionLimits,
        scopeKey: input.id,
      },
    ]),
  );
  return r.observedRef;
}

/** One version of turn `h`: its query, its calls and, when it made any, their results. */
async function writeTurn(
  c: ConversationSteps,
  fsp: Fsp,
  h: number,
  turns: TurnRef[],
  stateRef: string | undefined,
  feedback: Feedback | undefined,
  observedRef: string | undefined,
): Promise<{ query: string; callsRef?: string; stateRef?: string; failures: Feedback['failures'] }> {
  const base = {
    ...common(c, fsp),
    turnIndex: h,
    previous: turns.slice(),
    stateRef,
    ...(feedback ? { feedback } : {}),
    ...(observedRef ? { observedRef } : {}),
  };
  const { query } = c.count(
    await c.run('back-translate', h, (summary) =>
      c
        .proxy('back_translate')
        .backTranslateActivity.executeWithOptions({ summary }, [{ ...base, llm: c.roles.back_translate }]),
    ),
  );
  const { calls } = c.count(
    await c.run('forth-translate', h, (summary) =>
      c
        .proxy('forth_translate')
        .forthTranslateActivity.executeWithOptions({ summary }, [
          { ...base, query, llm: c.roles.forth_translate },
        ]),
    ),
  );
  if (calls.length === 0) return { query, failures: [] };
  const ex = await execute(c, fsp, calls, stateRef, turns, h);
  const failures = ex.results.flatMap((x) =>
    x.error ? [{ name: x.name, error: x.error, arguments: x.arguments ?? {} }] : [],
  );
  return { query, callsRef: ex.callsRef, stateRef: ex.stateRef, failures };
}

type PlannedCalls = Parameters<typeof activities.executeActivity>[0]['calls'];

/** Execute: the turn's calls really run (built-in sets, MCP servers, HTTP services, or the simulator). */
async function execute(
  c: ConversationSteps,
  fsp: Fsp,
  calls: PlannedCalls,
  stateRef: string | undefined,
  turns: TurnRef[],
  h: number,
): Promise<Awaited<ReturnType<typeof activities.executeActivity>>> {
  const { input } = c;
  return c.count(
    await c.run('execute', h, (summary) =>
      c.proxy('simulate', true).executeActivity.executeWithOptions({ summary }, [
        {
          ...common(c, fsp),
          calls,
          stateRef,
          mode: input.execution,
          limits: input.executionLimits,
          simulator: c.roles.simulate,
          previous: turns.slice(),
          scopeKey: input.id,
        },
      ]),
    ),
  );
}

/** Distill: the teacher answers each turn with its calls as hints (the positive trajectory). */
export async function distill(c: ConversationSteps, fsp: Fsp, turns: TurnRef[]): Promise<void> {
  for (let h = 0; h < turns.length; h++) {
    const t = turns[h] as TurnRef;
    const { usage, ...assistant } = await c.run('distill', h, (summary) =>
      c.proxy('teacher').distillActivity.executeWithOptions({ summary }, [
        {
          ...common(c, fsp),
          turnIndex: h,
          previous: turns.slice(0, h),
          callsRef: t.callsRef,
          query: t.query,
          llm: c.roles.teacher,
        },
      ]),
    );
    c.count({ usage });
    t.assistant = assistant;
  }
}

/** Quality: the judge scores each distilled turn, for the per-turn filter of the exports. */
export async function judgeQuality(c: ConversationSteps, fsp: Fsp, turns: TurnRef[]): Promise<void> {
  // Inputs of earlier releases have neither the judge's role nor the filter's settings: no step for them.
  const judge = (c.roles as Partial<typeof c.roles>).quality_judge;
  if (!(judge && c.input.quality && patched(QUALITY_JUDGE))) return;
  for (let h = 0; h < turns.length; h++) {
    const t = turns[h] as TurnRef;
    const { verdict } = c.count(
      await c.run('quality', h, (summary) =>
        c.proxy('quality_judge').qualityJudgeActivity.executeWithOptions({ summary }, [
          {
            ...common(c, fsp),
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

/**
 * mDPO negatives, with an LLM student: sample the student per turn, judge its errors, let the teacher word
 * each wrong answer. Negatives are optional: a student or negative step that fails for good costs that turn
 * its negatives, recorded in the record, never the conversation's positive record (the patch made it so).
 */
export async function negatives(
  c: ConversationSteps,
  planned: Planned,
  turns: TurnRef[],
): Promise<NegativeFailure[]> {
  const failures: NegativeFailure[] = [];
  if (c.roles.student.provider !== 'llm') return failures;
  const optional = patched(NEGATIVES_OPTIONAL);
  const negativeStep = async <T>(
    stage: Stage,
    h: number,
    fn: (s: string) => Promise<T>,
  ): Promise<T | undefined> => {
    if (!optional) return c.run(stage, h, fn);
    c.status.stage = stage;
    c.status.turn = h;
    try {
      return await fn(c.summary(stage, h));
    } catch (err) {
      if (isCancellation(err)) throw err;
      c.status.usage = add(c.status.usage, paidUsage(err));
      const f = describe(err, h, stage);
      failures.push({ turn: h, stage, type: f.type, message: f.message });
      // a student (or negative teacher) found unfit pauses the run: its other conversations would pay for it
      const unfit = f.unfit !== undefined && patched(PAUSE_ON_UNFIT_ROLE) ? unfitOf(err) : undefined;
      if (unfit) await pauseRunFor(unfit);
      return undefined;
    }
  };
  for (let h = 0; h < turns.length; h++) await turnNegatives(c, planned, turns, h, negativeStep);
  return failures;
}

type NegativeStep = <T>(stage: Stage, h: number, fn: (s: string) => Promise<T>) => Promise<T | undefined>;

/** One turn's negatives: the student's samples, then a rejected turn per judged-wrong sample. */
async function turnNegatives(
  c: ConversationSteps,
  planned: Planned,
  turns: TurnRef[],
  h: number,
  negativeStep: NegativeStep,
): Promise<void> {
  const { input } = c;
  const t = turns[h] as TurnRef;
  const base = {
    ...common(c, planned.fsp),
    turnIndex: h,
    previous: turns.slice(0, h),
    stateRef: t.stateBefore,
    query: t.query,
  };
  const sampled = await negativeStep('student', h, (summary) =>
    c.proxy('student').studentTurnActivity.executeWithOptions({ summary }, [
      {
        ...base,
        callsRef: t.callsRef,
        tools: planned.tools,
        samples: input.negativeSamples,
        student: c.roles.student,
        judge: c.roles.error_judge,
      },
    ]),
  );
  t.negatives = [];
  for (const w of sampled ? c.count(sampled).wrong : []) {
    const neg = await negativeStep('negative', h, (summary) =>
      c
        .proxy('negative_teacher', true)
        .negativeTurnActivity.executeWithOptions({ summary }, [
          { ...base, wrong: w, mode: input.execution, teacher: c.roles.negative_teacher, scopeKey: input.id },
        ]),
    );
    if (!neg) continue;
    c.count(neg);
    t.negatives.push({
      sample: w.sample,
      errors: w.errors,
      callsRef: neg.callsRef,
      assistant: neg.assistant,
    });
  }
}

/** Write: the conversation's record, with the models that made it. */
export async function writeRecord(
  c: ConversationSteps,
  planned: Planned,
  turns: TurnRef[],
  negativeFailures: NegativeFailure[],
): Promise<{ file: string; turns: number; calls: number }> {
  const { input } = c;
  const models: Record<string, string> = {};
  for (const [role, r] of Object.entries(c.roles))
    if (r.provider === 'llm') models[role] = `${r.providerName}/${r.model}`;
  return c.run('write', turns.length, (summary) =>
    c.proxy().writeConversationActivity.executeWithOptions({ summary }, [
      {
        storeDir: input.storeDir,
        outDir: input.outDir,
        id: input.id,
        runId: input.runId,
        index: input.index,
        seed: input.seed,
        fsp: planned.fsp,
        tools: planned.tools,
        turns,
        provenance: { backend: Object.keys(models).length > 0 ? 'llm' : 'offline', models },
        poolRef: input.poolRef,
        ...(input.keepErrorTurns !== undefined ? { keepErrorTurns: input.keepErrorTurns } : {}),
        ...(negativeFailures.length ? { negativeFailures } : {}),
        ...(input.kind ? { kind: input.kind } : {}),
        ...(turns.some((t) => t.quality) && input.quality
          ? { quality: { threshold: input.quality.threshold, onLow: input.quality.onLow } }
          : {}),
      },
    ]),
  );
}
