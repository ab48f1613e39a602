/**
 * The in-process baseline of the offline bench: the same activities a conversation runs, called one after the
 * other in this process (no Temporal), so the bench can print what orchestration costs on top of the work.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import * as activities from '../src/activities';
import type { LlmRole, ResolvedRole } from '../src/core/config';
import { type ConversationInput, type TurnRef } from '../src/contracts';

export interface BaselineInput {
  storeDir: string;
  outDir: string;
  poolRef: string;
  graphRef: string;
  conversationInput: (index: number) => Pick<ConversationInput, 'seed' | 'ops' | 'distractors' | 'execution'>;
  roles: Record<LlmRole, ResolvedRole>;
}

/** Runs `n` offline conversations in process; returns conversations and activities (steps) per second. */
export async function inProcessBaseline(
  b: BaselineInput,
  n: number,
): Promise<{ seconds: number; conversations: number; activities: number }> {
  // the activities heartbeat: an activity context (Temporal's own test environment) lets them run here
  const env = new MockActivityEnvironment();
  const run = <A extends unknown[], R>(fn: (...a: A) => Promise<R>, ...args: A): Promise<R> =>
    env.run(fn, ...args);
  let steps = 0;
  const t0 = performance.now();
  for (let index = 0; index < n; index++) {
    const c = b.conversationInput(index);
    const common0 = { storeDir: b.storeDir, poolRef: b.poolRef, seed: c.seed };
    const planned = await run(activities.planConversationActivity, {
      ...common0,
      graphRef: b.graphRef,
      ops: c.ops,
      distractors: c.distractors,
      nestedJudge: b.roles.nested_judge,
    });
    steps++;
    const common = { ...common0, fsp: planned.fsp };
    const turns: TurnRef[] = [];
    let stateRef: string | undefined;
    for (let h = 0; h < planned.fsp.turns.length; h++) {
      const base = { ...common, turnIndex: h, previous: turns.slice(), stateRef };
      const { query } = await run(activities.backTranslateActivity, { ...base, llm: b.roles.back_translate });
      const { calls } = await run(activities.forthTranslateActivity, {
        ...base,
        query,
        llm: b.roles.forth_translate,
      });
      steps += 2;
      let callsRef: string | undefined;
      const stateBefore = stateRef;
      if (calls.length > 0) {
        const ex = await run(activities.executeActivity, {
          ...common,
          calls,
          stateRef,
          mode: c.execution,
          simulator: b.roles.simulate,
          previous: turns.slice(),
        });
        steps++;
        callsRef = ex.callsRef;
        stateRef = ex.stateRef;
      }
      turns.push({ query, callsRef, stateBefore });
    }
    for (let h = 0; h < turns.length; h++) {
      const t = turns[h] as TurnRef;
      const { usage: _usage, ...assistant } = await run(activities.distillActivity, {
        ...common,
        turnIndex: h,
        previous: turns.slice(0, h),
        callsRef: t.callsRef,
        query: t.query,
        llm: b.roles.teacher,
      });
      steps++;
      t.assistant = assistant;
    }
    await run(activities.writeConversationActivity, {
      storeDir: b.storeDir,
      outDir: b.outDir,
      id: `baseline/conv-${index}`,
      runId: 'baseline',
      index,
      seed: c.seed,
      fsp: planned.fsp,
      tools: planned.tools,
      turns,
      provenance: { backend: 'offline', models: {} },
      poolRef: b.poolRef,
    });
    steps++;
  }
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, conversations: n, activities: steps };
}
