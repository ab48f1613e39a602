/**
 * The estimate's counting rules: which requests each LLM role makes, with which prompt and which answer.
 * They walk the pipeline's own step list (src/core/pipeline.ts: stages, their roles, how often and in which
 * pass they run), one rule per stage (RULES below), with the offline backend's rules standing in for the
 * models. The graph comes before the pipeline: one dependency-judge request per function that has
 * candidates, covering all of them (src/activities/graph-build.ts); none when the config names a prebuilt graph.
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
import type { Kind } from '../core/mix';
import { planConversation, sampleWalk, type Plan, type PlanInput } from '../core/plan';
import { planSingleTurn } from '../core/single-turn';
import type { FunctionDef } from '../core/pool';
import { PIPELINE, type PipelineStep, type Stage } from '../core/pipeline';
import { deriveSeed } from '../core/rng';
import { putJson, type Ref } from '../io/artifacts';
import { roleLine } from '../llm/protocol';
import { ROLES, type RoleInput } from '../roles';
import { historyCalls, lite, turnTask, type TurnTask } from '../roles/common';
import { loadTurnContext, type TurnContext } from '../roles/context';
import type { JudgedError } from '../roles/error_judge';
import { promptFor } from '../roles/runner';
import { qualityTask } from '../roles/quality_judge';
import { teacherTask } from '../roles/teacher';
import { executeTurn } from '../tools/execute';
import type { Json } from '../tools/types';
import type { ExecutionMode } from '../core/config';
import { type TurnRef } from '../contracts';

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
    // as completeJson (src/llm/request.ts) builds it: the role line, then the system prompt (or its override)
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

/** One conversation as the rules walk it: what a step leaves for the later ones. */
interface Walk {
  env: ConversationEnv;
  seed: number;
  plan: Plan;
  rec: Recorder;
  /** The turns written so far (query, calls, tool state before), as the conversation workflow keeps them. */
  turns: TurnRef[];
  /** Each turn's executed calls. */
  callsOf: ExecutedCall[][];
  /** Tool states after the last executed turn, and their reference. */
  states: Record<string, Json>;
  stateRef?: Ref;
  /** The turn the first pass is writing: its context and task, its query, its planned calls. */
  current?: { ctx: TurnContext; task: TurnTask; query: string; planned: PlannedCall[] };
  /** Each turn's distilled answer, which the quality judge reads. */
  answers: AssistantTurn[];
}

/** A stage's rule: the requests its step makes at turn `h` (steps of a conversation run once, at turn 0). */
type Rule = (w: Walk, h: number) => Promise<void>;

/** A turn's context as the activities load it: the turns before it, and the tool state before it if given. */
function contextAt(w: Walk, h: number, stateRef?: Ref): Promise<TurnContext> {
  return loadTurnContext({
    storeDir: w.env.storeDir,
    poolRef: w.env.poolRef,
    seed: w.seed,
    fsp: w.plan.fsp,
    turnIndex: h,
    previous: w.turns.slice(0, h),
    stateRef,
  });
}

/**
 * The requests of each stage of the pipeline (src/core/pipeline.ts), by stage: the estimate walks the
 * pipeline's own list, so a stage added there needs its rule here.
 */
const RULES: { [S in Stage]: Rule | undefined } = {
  // the nested judge's requests are counted over all planned conversations by the caller (nestedJudgeTasks):
  // the cache pays each walk function once per run
  plan: undefined,
  // read-only tool calls, no model
  observe: undefined,
  // every turn
  'back-translate': async (w, h) => {
    const ctx = await contextAt(w, h, w.stateRef);
    const task = turnTask(ctx);
    const query = offline('back_translate', task, w.seed) as string;
    w.rec.ask('back_translate', task, { query });
    w.current = { ctx, task, query, planned: [] };
  },
  // not for an empty turn (nothing to call; the activity answers without a request)
  'forth-translate': async (w) => {
    const cur = w.current as NonNullable<Walk['current']>;
    if (cur.ctx.turn.missing) return;
    const forth = { ...cur.task, query: cur.query };
    cur.planned = offline('forth_translate', forth, w.seed) as PlannedCall[];
    w.rec.ask('forth_translate', forth, { calls: wireCalls(cur.planned) });
  },
  // a simulate request per call the LLM simulator plays (src/activities/conversation.ts); the turn is done
  execute: async (w) => {
    const { env, rec, seed } = w;
    const { query, planned } = w.current as NonNullable<Walk['current']>;
    let calls: ExecutedCall[] = [];
    const stateBefore = w.stateRef;
    if (planned.length > 0) {
      const history = w.callsOf.flat();
      const simulate = rec.isLlm('simulate')
        ? async (def: FunctionDef, args: Record<string, unknown>, done: ExecutedCall[]): Promise<unknown> => {
            const t = { function: lite(def), arguments: args, history: historyCalls([...history, ...done]) };
            const output = offline('simulate', t, seed);
            if (!env.outside?.has(def.name)) rec.ask('simulate', t, { output });
            return output;
          }
        : undefined;
      const ex = await executeTurn(planned, env.pool, w.states, seed, env.execution, simulate);
      calls = ex.calls;
      w.states = ex.states;
      w.stateRef = await putJson(env.storeDir, w.states);
    }
    w.callsOf.push(calls);
    w.turns.push({
      query,
      callsRef: planned.length > 0 ? await putJson(env.storeDir, calls) : undefined,
      stateBefore,
    });
    w.current = undefined;
  },
  // one teacher request per turn, after all turns ran
  distill: async (w, h) => {
    const t = w.turns[h] as TurnRef;
    const ctx = await contextAt(w, h);
    const task = teacherTask(ctx, t.query, callSteps(w.callsOf[h] ?? []));
    const answer = offline('teacher', task, w.seed) as AssistantTurn;
    w.rec.ask('teacher', task, answer);
    w.answers[h] = answer;
  },
  // one request per turn after its distillation, when a model plays the judge (by default its rules run)
  quality: async (w, h) => {
    const t = w.turns[h] as TurnRef;
    const ctx = await contextAt(w, h);
    const judged = qualityTask(ctx, t.query, w.callsOf[h] ?? [], w.answers[h] as AssistantTurn);
    w.rec.ask('quality_judge', judged, offline('quality_judge', judged, w.seed));
  },
  // with an LLM student (mDPO): `samples` student requests per turn, each judged by the error judge
  student: async (w, h) => {
    const { env, rec } = w;
    if (!rec.isLlm('student')) return;
    const t = w.turns[h] as TurnRef;
    const ctx = await contextAt(w, h, t.stateBefore);
    const tools = w.plan.tools.map((n) => env.pool.get(n)).filter((f): f is FunctionDef => !!f);
    const history = historyCalls(ctx.history);
    const reference = referenceOf(w, h);
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
      rec.ask(
        'error_judge',
        {
          query: t.query,
          labels: ctx.turn.labels,
          previousQueries: ctx.previousQueries,
          history,
          reference,
          candidate: reference.slice(0, -1),
        },
        { errors: wrongErrors(reference) },
        env.studentErrorRate,
      );
    }
  },
  // a negative-teacher request per judged-wrong sample
  negative: async (w, h) => {
    const { env, rec } = w;
    if (!rec.isLlm('student')) return;
    const t = w.turns[h] as TurnRef;
    const ctx = await contextAt(w, h, t.stateBefore);
    const errors = wrongErrors(referenceOf(w, h));
    for (let k = 0; k < env.negativeSamples; k++) {
      const wrongCalls = (w.callsOf[h] ?? []).slice(0, -1);
      const task = { ...teacherTask(ctx, t.query, callSteps(wrongCalls)), errors };
      rec.ask(
        'negative_teacher',
        task,
        { steps: callSteps(wrongCalls).map(() => 'Let me do that.'), final: 'I completed the request.' },
        env.studentErrorRate,
      );
    }
  },
  // the record: no model
  write: undefined,
};

/**
 * mDPO's stand-ins (src/activities/negatives.ts): a student sample identical to the reference costs nothing
 * more; a different one is judged, and one judged wrong is worded by the negative teacher. The student's
 * answer stands in as the reference calls (same shape and size); the error judge and negative teacher are
 * weighted by the assumed error rate, and their tasks use the reference less its last call as the wrong
 * answer (the most common mistake: an implied call left out).
 */
function referenceOf(w: Walk, h: number): { name: string; arguments: Record<string, unknown> }[] {
  return (w.callsOf[h] ?? []).map((c) => ({ name: c.name, arguments: c.arguments }));
}

function wrongErrors(reference: readonly unknown[]): JudgedError[] {
  const wrong = reference.slice(0, -1);
  return [{ type: 'nested_missing', detail: `expected ${reference.length} calls, got ${wrong.length}` }];
}

/**
 * Records the requests of one conversation's turns, stage by stage in the pipeline's order (the plan's
 * nested-judge requests are counted over all conversations by the caller). Returns the number of turns.
 */
export async function conversationRequests(
  env: ConversationEnv,
  seed: number,
  plan: Plan,
  rec: Recorder,
): Promise<{ turns: number; calls: number }> {
  const w: Walk = { env, seed, plan, rec, turns: [], callsOf: [], states: {}, answers: [] };
  const turns = plan.fsp.turns.length;
  for (const pass of passes()) {
    const rules = pass.map((step) => RULES[step.stage]).filter((r): r is Rule => !!r);
    if (rules.length === 0) continue;
    const times = pass.every((step) => step.per === 'conversation') ? 1 : turns;
    for (let h = 0; h < times; h++) for (const rule of rules) await rule(w, h);
  }
  return { turns: w.turns.length, calls: w.callsOf.flat().length };
}

/** The pipeline's steps grouped by pass, in order: the steps of a pass go over the turns together. */
function passes(): PipelineStep[][] {
  const out: PipelineStep[][] = [];
  for (const step of PIPELINE) {
    const last = out[out.length - 1];
    if (last && (last[0] as PipelineStep).pass === step.pass) last.push(step);
    else out.push([step]);
  }
  return out;
}

/** Which conversations the estimate simulates: `k` spread evenly over the run's indices. */
export function sampleIndices(conversations: number, k: number): number[] {
  const n = Math.max(1, Math.min(conversations, k));
  return Array.from({ length: n }, (_, j) => Math.floor((j * conversations) / n));
}
