/**
 * The estimate's counting rules: which requests each LLM role makes, with which prompt and which answer.
 * They follow the pipeline step by step, with the offline backend's rules standing in for the models:
 *
 * - the graph (src/workflows/build-graph.ts, src/activities/graph.ts): one dependency-judge request per function
 *   that has candidates, covering all of them; none when the config names a prebuilt graph;
 * - planning (src/activities/conversation.ts, planConversationActivity): one nested-judge request per
 *   distinct walk function that feeds a neighbour; answers are cached by request, so a function met in many
 *   conversations is paid once per run;
 * - each turn (src/workflows/conversation.ts): back-translate; forth-translate unless the turn is an empty
 *   (missing-information) turn; one simulate request per call of a function without a built-in
 *   implementation (every call in "simulated" mode), only when the simulator is an LLM;
 * - then one teacher request per turn (distillation), and one quality-judge request per turn when the judge
 *   is a model (by default it runs its rule checks, for free);
 * - with an LLM student (mDPO): `negatives.samples` student requests per turn; an error-judge request per
 *   sample that differs from the reference, and a negative-teacher request per judged-wrong sample.
 *
 * The task of each request is built with the same functions the activities use (loadTurnContext, turnTask,
 * teacherTask, historyCalls, lite), so the prompt counted is the prompt sent. What a real model answers is
 * not known beforehand: the offline backend's answer of the same shape stands in for it (the answer's
 * tokens), and its planning rule stands in for the nested judge's verdicts. Not counted: repair requests
 * (an answer that fails its checks gets one; a good model rarely needs it) and retries of transient errors
 * (they are not paid). Answers already in the response cache are free, which the estimate does not know.
 */
import { callSteps, type AssistantTurn, type ExecutedCall, type PlannedCall } from '../core/conversation';
import type { LlmRole, ResolvedRole } from '../core/config';
import { candidateSelector, offlineJudge, outEdges, type GraphConfig } from '../core/graph';
import type { Fsp } from '../core/ops';
import type { Kind } from '../core/mix';
import { planConversation, sampleWalk, type Plan, type PlanInput } from '../core/plan';
import { planSingleTurn } from '../core/single-turn';
import type { FunctionDef } from '../core/pool';
import { deriveSeed } from '../core/rng';
import { putJson, type Ref } from '../io/artifacts';
import { roleLine } from '../llm/protocol';
import { ROLES, type RoleInput } from '../roles';
import { historyCalls, lite, turnTask } from '../roles/common';
import { loadTurnContext } from '../roles/context';
import { promptFor } from '../roles/runner';
import { qualityTask } from '../roles/quality_judge';
import { teacherTask } from '../roles/teacher';
import { executeTurn } from '../tools/execute';
import type { Json } from '../tools/types';
import { type ExecutionMode, type TurnRef } from '../contracts';

/** One request a role would send: its messages, the answer text standing in for the model's, a weight. */
export interface EstRequest {
  role: LlmRole;
  /** The system and user messages, as the LLM client sends them. */
  messages: [string, string];
  /** The answer's text (JSON, as the model must answer). */
  answer: string;
  /**
   * Expected number of such requests: 1, or a probability for requests that happen only sometimes (the
   * error judge and negative teacher of mDPO, which depend on how often the student is wrong).
   */
  weight: number;
}

/**
 * How often a student sample differs from the reference. Unknowable before sampling the student (it is a
 * model you trained); 0.3 is an assumption, shown with the estimate and set with --student-error-rate.
 */
export const DEFAULT_STUDENT_ERROR_RATE = 0.3;

/** Collects the requests of LLM roles; offline roles cost nothing and are not recorded. */
export class Recorder {
  readonly requests: EstRequest[] = [];
  constructor(private readonly roles: Readonly<Record<LlmRole, ResolvedRole>>) {}

  isLlm(role: LlmRole): boolean {
    return this.roles[role].provider === 'llm';
  }

  /** Records a request of `role` for `task`; `answer` is the JSON object a model would reply with. */
  ask<N extends LlmRole>(role: N, task: RoleInput<N>, answer: unknown, weight = 1): void {
    const r = this.roles[role];
    if (r.provider !== 'llm' || weight <= 0) return;
    const spec = ROLES[role];
    const prompt = promptFor(spec, task);
    // as completeJson (src/llm/client.ts) builds it: the role line, then the system prompt (or its override)
    const system = `${roleLine(role, spec.version)}\n${r.systemPrompt ?? prompt.system}`;
    this.requests.push({ role, messages: [system, prompt.user], answer: JSON.stringify(answer), weight });
  }
}

/** Planned calls as a model writes them: outputs of earlier calls of the turn as `{"$from": "<id>.<field>"}`. */
export function wireCalls(
  calls: readonly Pick<PlannedCall, 'name' | 'arguments' | 'refs'>[],
): { name: string; arguments: Record<string, unknown> }[] {
  return calls.map((c) => {
    const args: Record<string, unknown> = { ...c.arguments };
    for (const [param, ref] of Object.entries(c.refs ?? {}))
      args[param] = { $from: `${ref.call}.${ref.field}` };
    return { name: c.name, arguments: args };
  });
}

function offline<N extends LlmRole>(role: N, task: RoleInput<N>, seed: number): unknown {
  const spec = ROLES[role] as unknown as { offline?: (i: unknown, s: number) => unknown };
  if (!spec.offline) throw new Error(`${role} has no offline rules`);
  return spec.offline(task, seed);
}

/** Graph requests: one dependency-judge request per function with candidates (none for a given graph). */
export function graphRequests(functions: readonly FunctionDef[], config: GraphConfig, rec: Recorder): void {
  if (!rec.isLlm('dependency_judge')) return;
  const byName = new Map(functions.map((f) => [f.name, f]));
  const selector = candidateSelector(functions, config);
  for (const [i, v] of functions.entries()) {
    const cands = selector
      .select(i)
      .map((n) => byName.get(n))
      .filter((f): f is FunctionDef => !!f);
    if (cands.length === 0) continue;
    const edges = offlineJudge(v, cands).map((e) => ({
      to: e.to,
      relation: e.relation,
      feeds: e.feeds,
      reason: e.reason,
    }));
    rec.ask('dependency_judge', { function: lite(v), candidates: cands.map(lite) }, { edges });
  }
}

/** What a conversation's plan needs: the run's graph, pool and settings (the seed is the run's). */
export type PlanEnv = Omit<PlanInput, 'isNested'>;

/** The conversation's seed, as the run workflow derives it (src/workflows/run.ts). */
export function conversationSeed(runSeed: number, index: number): number {
  return deriveSeed(runSeed, 'conversation', index);
}

/** An item's plan as the run makes it (offline planning rule: every feeding neighbour counts as nested). */
export function planOf(env: PlanEnv, index: number, kind: Kind = 'multi_turn'): Plan {
  const seed = conversationSeed(env.seed, index);
  return kind === 'multi_turn' ? planConversation({ ...env, seed }) : planSingleTurn({ ...env, seed }, kind);
}

/**
 * The nested-judge tasks of one conversation, by function name: one per distinct walk function with a
 * feeding neighbour. The caller keeps one per name over all conversations (the cache pays each once).
 */
export function nestedJudgeTasks(env: PlanEnv, index: number): Map<string, RoleInput<'nested_judge'>> {
  const walk = sampleWalk({ ...env, seed: conversationSeed(env.seed, index) });
  const adjacency = outEdges(env.graph);
  const tasks = new Map<string, RoleInput<'nested_judge'>>();
  for (const f of new Set(walk)) {
    const def = env.pool.get(f);
    const defs = (adjacency.get(f) ?? [])
      .filter((e) => e.feeds.length > 0)
      .map((e) => env.pool.get(e.to))
      .filter((d): d is FunctionDef => !!d);
    if (!def || defs.length === 0) continue;
    tasks.set(f, { function: lite(def), candidates: defs.map(lite) });
  }
  return tasks;
}

/** The nested judge's answer standing in for a model's: every candidate fed by the function is nested. */
export function nestedJudgeAnswer(task: RoleInput<'nested_judge'>): unknown {
  return { nested: task.candidates.map((c) => ({ name: c.name })) };
}

/** What simulating one conversation needs besides its plan. */
export interface ConversationEnv {
  /** A scratch artifact store: `loadTurnContext` reads the pool and earlier calls from it. */
  storeDir: string;
  poolRef: Ref;
  pool: ReadonlyMap<string, FunctionDef>;
  execution: ExecutionMode;
  negativeSamples: number;
  studentErrorRate: number;
  /** Functions executed by MCP servers or OpenAPI services in the run: no simulate request for them. */
  outside?: ReadonlySet<string>;
}

/**
 * Records the requests of one conversation's turns (the plan's nested-judge requests are counted over all
 * conversations by the caller). Returns the number of turns.
 */
export async function conversationRequests(
  env: ConversationEnv,
  seed: number,
  plan: Plan,
  rec: Recorder,
): Promise<{ turns: number; calls: number }> {
  const fsp: Fsp = plan.fsp;
  const common = { storeDir: env.storeDir, poolRef: env.poolRef, seed, fsp };
  const turns: TurnRef[] = [];
  const callsOf: ExecutedCall[][] = [];
  let states: Record<string, Json> = {};
  let stateRef: Ref | undefined;
  for (let h = 0; h < fsp.turns.length; h++) {
    const ctx = await loadTurnContext({ ...common, turnIndex: h, previous: turns.slice(), stateRef });
    const task = turnTask(ctx);
    // back-translate: every turn
    const query = offline('back_translate', task, seed) as string;
    rec.ask('back_translate', task, { query });
    // forth-translate: not for an empty turn (nothing to call; the activity answers without a request)
    let planned: PlannedCall[] = [];
    if (!ctx.turn.missing) {
      const forth = { ...task, query };
      planned = offline('forth_translate', forth, seed) as PlannedCall[];
      rec.ask('forth_translate', forth, { calls: wireCalls(planned) });
    }
    // execute: a simulate request per call the LLM simulator plays (src/activities/conversation.ts)
    let calls: ExecutedCall[] = [];
    const stateBefore = stateRef;
    if (planned.length > 0) {
      const history = callsOf.flat();
      const simulate = rec.isLlm('simulate')
        ? async (def: FunctionDef, args: Record<string, unknown>, done: ExecutedCall[]): Promise<unknown> => {
            const t = { function: lite(def), arguments: args, history: historyCalls([...history, ...done]) };
            const output = offline('simulate', t, seed);
            if (!env.outside?.has(def.name)) rec.ask('simulate', t, { output });
            return output;
          }
        : undefined;
      const ex = await executeTurn(planned, env.pool, states, seed, env.execution, simulate);
      calls = ex.calls;
      states = ex.states;
      stateRef = await putJson(env.storeDir, states);
    }
    callsOf.push(calls);
    turns.push({
      query,
      callsRef: planned.length > 0 ? await putJson(env.storeDir, calls) : undefined,
      stateBefore,
    });
  }
  // distillation: one teacher request per turn, after all turns ran
  for (let h = 0; h < turns.length; h++) {
    const t = turns[h] as TurnRef;
    const ctx = await loadTurnContext({ ...common, turnIndex: h, previous: turns.slice(0, h) });
    const task = teacherTask(ctx, t.query, callSteps(callsOf[h] ?? []));
    const answer = offline('teacher', task, seed) as AssistantTurn;
    rec.ask('teacher', task, answer);
    // the quality judge: one request per turn after its distillation, when a model plays it
    const judged = qualityTask(ctx, t.query, callsOf[h] ?? [], answer);
    rec.ask('quality_judge', judged, offline('quality_judge', judged, seed));
  }
  if (rec.isLlm('student')) await negativeRequests(env, seed, plan, turns, callsOf, rec);
  return { turns: turns.length, calls: callsOf.flat().length };
}

/**
 * mDPO (src/activities/negatives.ts): each turn is sampled `samples` times; a sample identical to the
 * reference costs nothing more; a different one is judged, and one judged wrong is worded by the negative
 * teacher. The student's answer stands in as the reference calls (same shape and size); the error judge
 * and negative teacher are weighted by the assumed error rate, and their tasks use the reference less its
 * last call as the wrong answer (the most common mistake: an implied call left out).
 */
async function negativeRequests(
  env: ConversationEnv,
  seed: number,
  plan: Plan,
  turns: TurnRef[],
  callsOf: ExecutedCall[][],
  rec: Recorder,
): Promise<void> {
  const tools = plan.tools.map((n) => env.pool.get(n)).filter((f): f is FunctionDef => !!f);
  const common = { storeDir: env.storeDir, poolRef: env.poolRef, seed, fsp: plan.fsp };
  for (let h = 0; h < turns.length; h++) {
    const t = turns[h] as TurnRef;
    const ctx = await loadTurnContext({
      ...common,
      turnIndex: h,
      previous: turns.slice(0, h),
      stateRef: t.stateBefore,
    });
    const history = historyCalls(ctx.history);
    const reference = (callsOf[h] ?? []).map((c) => ({ name: c.name, arguments: c.arguments }));
    const studentAnswer =
      reference.length > 0
        ? { calls: reference, final: 'Done.' }
        : { calls: [], final: 'Could you tell me more about what you need?' };
    for (let k = 0; k < env.negativeSamples; k++) {
      rec.ask(
        'student',
        {
          turnIndex: ctx.turnIndex,
          query: t.query,
          previousQueries: ctx.previousQueries,
          history,
          tools: tools.map(lite),
          sample: k,
        },
        studentAnswer,
      );
      const wrong = reference.slice(0, -1);
      const errors = [
        {
          type: 'nested_missing' as const,
          detail: `expected ${reference.length} calls, got ${wrong.length}`,
        },
      ];
      rec.ask(
        'error_judge',
        {
          query: t.query,
          labels: ctx.turn.labels,
          previousQueries: ctx.previousQueries,
          history,
          reference,
          candidate: wrong,
        },
        { errors },
        env.studentErrorRate,
      );
      const wrongCalls = (callsOf[h] ?? []).slice(0, -1);
      const task = { ...teacherTask(ctx, t.query, callSteps(wrongCalls)), errors };
      rec.ask(
        'negative_teacher',
        task,
        { steps: callSteps(wrongCalls).map(() => 'Let me do that.'), final: 'I completed the request.' },
        env.studentErrorRate,
      );
    }
  }
}

/** Which conversations the estimate simulates: `k` spread evenly over the run's indices. */
export function sampleIndices(conversations: number, k: number): number[] {
  const n = Math.max(1, Math.min(conversations, k));
  return Array.from({ length: n }, (_, j) => Math.floor((j * conversations) / n));
}
