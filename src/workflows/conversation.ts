import {
  ActivityFailure,
  ApplicationFailure,
  defineQuery,
  setHandler,
  upsertMemo,
} from '@temporalio/workflow';
import type { OpsConfig } from '../core/ops';
import type { TurnRef } from '../activities/conversation';
import type { ExecutionMode } from '../tools/execute';
import { llm, local } from './proxies';

export interface ConversationInput {
  runId: string;
  id: string;
  index: number;
  seed: number;
  storeDir: string;
  outDir: string;
  poolRef: string;
  graphRef: string;
  ops: OpsConfig;
  distractors: number;
  execution: ExecutionMode;
}

export interface ConversationResult {
  id: string;
  index: number;
  status: 'completed' | 'failed';
  file?: string;
  turns: number;
  calls: number;
  failure?: { turn: number; stage: string; type: string; message: string };
}

export interface ConversationStatus {
  stage: string;
  turn: number;
  turns: number;
}

export const conversationStatusQuery = defineQuery<ConversationStatus>('conversationStatus');

/** Unwraps an activity failure to the error type and message the user needs to see. */
function describe(err: unknown): { type: string; message: string } {
  let e: unknown = err;
  if (e instanceof ActivityFailure && e.cause) e = e.cause;
  if (e instanceof ApplicationFailure) return { type: e.type ?? 'ApplicationFailure', message: e.message };
  if (e instanceof Error) return { type: e.name, message: e.message };
  return { type: 'Unknown', message: String(e) };
}

/**
 * One FSP -> one conversation (MAGNET stages 3-6): plan, then per turn back-translate -> forth-translate ->
 * execute, then distill each turn, then write the record. A step that fails for good ends the conversation
 * as failed with the turn, stage and reason recorded; it is never silently dropped.
 */
export async function conversation(input: ConversationInput): Promise<ConversationResult> {
  const status: ConversationStatus = { stage: 'plan', turn: 0, turns: 0 };
  setHandler(conversationStatusQuery, () => status);
  const plan = await local.planConversationActivity({
    storeDir: input.storeDir,
    poolRef: input.poolRef,
    graphRef: input.graphRef,
    seed: input.seed,
    ops: input.ops,
    distractors: input.distractors,
  });
  const { fsp } = plan;
  status.turns = fsp.turns.length;
  upsertMemo({ run: input.runId, turns: fsp.turns.length, labels: fsp.turns.map((t) => t.labels.join('+')) });

  const turns: TurnRef[] = [];
  let stateRef: string | undefined;
  const common = { storeDir: input.storeDir, poolRef: input.poolRef, seed: input.seed, fsp };
  try {
    for (let h = 0; h < fsp.turns.length; h++) {
      status.turn = h;
      const base = { ...common, turnIndex: h, previous: turns.slice() };
      status.stage = 'back-translate';
      const { query } = await llm.backTranslateActivity(base);
      status.stage = 'forth-translate';
      const { calls } = await llm.forthTranslateActivity({ ...base, query });
      let callsRef: string | undefined;
      if (calls.length > 0) {
        status.stage = 'execute';
        const ex = await local.executeActivity({ ...common, calls, stateRef, mode: input.execution });
        callsRef = ex.callsRef;
        stateRef = ex.stateRef;
      }
      turns.push({ query, callsRef });
    }
    status.stage = 'distill';
    for (let h = 0; h < turns.length; h++) {
      status.turn = h;
      const t = turns[h] as TurnRef;
      t.assistant = await llm.distillActivity({
        ...common,
        turnIndex: h,
        previous: turns.slice(0, h),
        callsRef: t.callsRef,
      });
    }
    status.stage = 'write';
    const written = await local.writeConversationActivity({
      storeDir: input.storeDir,
      outDir: input.outDir,
      id: input.id,
      runId: input.runId,
      index: input.index,
      seed: input.seed,
      fsp,
      tools: plan.tools,
      turns,
    });
    status.stage = 'done';
    return {
      id: input.id,
      index: input.index,
      status: 'completed',
      file: written.file,
      turns: written.turns,
      calls: written.calls,
    };
  } catch (err) {
    const { type, message } = describe(err);
    const failure = { turn: status.turn, stage: status.stage, type, message };
    upsertMemo({ failure });
    await local.writeFailureActivity({ outDir: input.outDir, id: input.id, index: input.index, failure });
    status.stage = 'failed';
    return { id: input.id, index: input.index, status: 'failed', turns: fsp.turns.length, calls: 0, failure };
  }
}
