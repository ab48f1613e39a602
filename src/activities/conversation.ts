import path from 'node:path';
import { heartbeat } from '@temporalio/activity';
import {
  callSteps,
  ConversationRecord,
  ExecutedCall,
  type AssistantTurn,
  type PlannedCall,
  type TurnRecord,
} from '../core/conversation';
import type { Fsp, OpsConfig } from '../core/ops';
import { planConversation, type Plan } from '../core/plan';
import type { FunctionDef } from '../core/pool';
import { getJson, putJson, type Ref } from '../io/artifacts';
import { writeAtomic } from '../io/files';
import {
  OFFLINE_GENERATOR,
  OFFLINE_NOTE,
  offlineBackTranslate,
  offlineDistill,
  offlineForthTranslate,
  TranslationError,
  type TurnContext,
} from '../llm/offline';
import { executeTurn, type ExecutionMode } from '../tools/execute';
import type { Json } from '../tools/types';
import { nonRetryableOn } from './errors';
import { graphFor, poolIndex } from './pool';

export async function planConversationActivity(input: {
  storeDir: string;
  poolRef: Ref;
  graphRef: Ref;
  seed: number;
  ops: OpsConfig;
  distractors: number;
}): Promise<Plan> {
  const [pool, graph] = await Promise.all([
    poolIndex(input.storeDir, input.poolRef),
    graphFor(input.storeDir, input.graphRef),
  ]);
  return planConversation({ graph, pool, seed: input.seed, ops: input.ops, distractors: input.distractors });
}

/** A finished turn as the workflow keeps it: small, with the calls by reference. */
export interface TurnRef {
  query: string;
  callsRef?: Ref;
  assistant?: AssistantTurn;
}

export interface TurnInput {
  storeDir: string;
  poolRef: Ref;
  seed: number;
  fsp: Fsp;
  turnIndex: number;
  previous: TurnRef[];
}

async function context(input: TurnInput): Promise<TurnContext> {
  const pool = await poolIndex(input.storeDir, input.poolRef);
  const turn = input.fsp.turns[input.turnIndex];
  if (!turn) throw new TranslationError(`turn ${input.turnIndex} is not in the FSP`);
  const lookup = (name: string): FunctionDef => {
    const def = pool.get(name);
    if (!def) throw new TranslationError(`function ${name} is not in the pool`);
    return def;
  };
  const history: ExecutedCall[] = [];
  for (const t of input.previous)
    if (t.callsRef) history.push(...(await loadCalls(input.storeDir, t.callsRef)));
  return {
    seed: input.seed,
    turnIndex: input.turnIndex,
    turn,
    defs: turn.functions.map((f) => lookup(f.name)),
    missingDef: turn.missing ? lookup(turn.missing.function) : undefined,
    history,
    previousQueries: input.previous.map((t) => t.query),
  };
}

async function loadCalls(storeDir: string, ref: Ref): Promise<ExecutedCall[]> {
  return ExecutedCall.array().parse(await getJson(storeDir, ref));
}

export async function backTranslateActivity(input: TurnInput): Promise<{ query: string }> {
  return nonRetryableOn(async () => ({ query: offlineBackTranslate(await context(input)) }));
}

export async function forthTranslateActivity(
  input: TurnInput & { query: string },
): Promise<{ calls: PlannedCall[] }> {
  return nonRetryableOn(async () => {
    const ctx = await context(input);
    // Empty (missing-information) turns have nothing to call: the right answer is to ask or decline.
    if (ctx.turn.missing) return { calls: [] };
    return { calls: offlineForthTranslate(ctx, input.query) };
  });
}

export async function executeActivity(input: {
  storeDir: string;
  poolRef: Ref;
  seed: number;
  calls: PlannedCall[];
  stateRef?: Ref;
  mode: ExecutionMode;
}): Promise<{ callsRef: Ref; stateRef: Ref; results: { id: string; name: string; error?: string }[] }> {
  const pool = await poolIndex(input.storeDir, input.poolRef);
  const states = input.stateRef
    ? ((await getJson(input.storeDir, input.stateRef)) as Record<string, Json>)
    : {};
  const { calls, states: next } = executeTurn(input.calls, pool, states, input.seed, input.mode);
  return {
    callsRef: await putJson(input.storeDir, calls),
    stateRef: await putJson(input.storeDir, next),
    results: calls.map((c) =>
      c.error ? { id: c.id, name: c.name, error: c.error } : { id: c.id, name: c.name },
    ),
  };
}

export async function distillActivity(input: TurnInput & { callsRef?: Ref }): Promise<AssistantTurn> {
  return nonRetryableOn(async () => {
    const ctx = await context(input);
    const calls = input.callsRef ? await loadCalls(input.storeDir, input.callsRef) : [];
    return offlineDistill(ctx, callSteps(calls));
  });
}

/** Writes the finished conversation as one JSON file (atomically; rewriting it gives the same file). */
export async function writeConversationActivity(input: {
  storeDir: string;
  outDir: string;
  id: string;
  runId: string;
  index: number;
  seed: number;
  fsp: Fsp;
  tools: string[];
  turns: TurnRef[];
}): Promise<{ file: string; turns: number; calls: number; failedCalls: number }> {
  const turns: TurnRecord[] = [];
  for (const [i, t] of input.turns.entries()) {
    const fspTurn = input.fsp.turns[i];
    if (!fspTurn || !t.assistant) throw new Error(`turn ${i} of ${input.id} is incomplete`);
    turns.push({
      index: i,
      labels: fspTurn.labels,
      functions: fspTurn.functions,
      missing: fspTurn.missing,
      query: t.query,
      calls: t.callsRef ? await loadCalls(input.storeDir, t.callsRef) : [],
      assistant: t.assistant,
    });
    heartbeat();
  }
  const calls = turns.flatMap((t) => t.calls);
  const record = ConversationRecord.parse({
    id: input.id,
    runId: input.runId,
    index: input.index,
    kind: 'multi_turn',
    fsp: input.fsp,
    tools: input.tools,
    turns,
    stats: { turns: turns.length, calls: calls.length, failedCalls: calls.filter((c) => c.error).length },
    provenance: {
      backend: 'offline',
      models: {},
      seed: input.seed,
      generator: OFFLINE_GENERATOR,
      note: OFFLINE_NOTE,
    },
  });
  const file = conversationFile(input.outDir, input.index);
  await writeAtomic(file, JSON.stringify(record, null, 1));
  return { file, ...record.stats };
}

export function conversationFile(outDir: string, index: number): string {
  return path.join(outDir, 'conversations', `conv-${String(index).padStart(5, '0')}.json`);
}

/** Records why a conversation failed, next to the conversations, for `magnet status` and replays. */
export async function writeFailureActivity(input: {
  outDir: string;
  id: string;
  index: number;
  failure: { turn: number; stage: string; type: string; message: string };
}): Promise<{ file: string }> {
  const file = path.join(input.outDir, 'failed', `conv-${String(input.index).padStart(5, '0')}.json`);
  await writeAtomic(file, JSON.stringify({ id: input.id, index: input.index, ...input.failure }, null, 2));
  return { file };
}
