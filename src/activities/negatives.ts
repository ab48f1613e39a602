import { isDeepStrictEqual } from 'node:util';
import type { ResolvedRole } from '../core/config';
import { callSteps, type AssistantTurn, type PlannedCall } from '../core/conversation';
import { offeredAt } from '../core/plan';
import type { FunctionDef } from '../core/pool';
import { addUsage, NO_USAGE, type Usage } from '../core/usage';
import { putJson, type Ref } from '../io/artifacts';
import { ROLES, runRole } from '../roles';
import { historyCalls, lite } from '../roles/common';
import type { JudgedError } from '../roles/error_judge';
import type { StudentAnswer } from '../roles/student';
import { teacherTask } from '../roles/teacher';
import { executeTurn } from '../tools/execute';
import { closeScope } from '../tools/mcp/sessions';
import { loadCalls, poolIndex } from '../io/stored';
import { loadStates, loadTurnContext, type TurnInput } from '../roles/context';
import { nonRetryableOn } from './errors';
import { externalFor } from './external';
import type { ExecutionMode } from '../core/config';

export interface WrongAnswer {
  sample: number;
  calls: StudentAnswer['calls'];
  final?: string;
  errors: JudgedError[];
}

function sameCalls(
  a: { name: string; arguments: Record<string, unknown> }[],
  b: { name: string; arguments: Record<string, unknown> }[],
): boolean {
  const key = (c: { name: string; arguments: Record<string, unknown> }): string => c.name;
  const sa = [...a].sort((x, y) => (key(x) < key(y) ? -1 : 1));
  const sb = [...b].sort((x, y) => (key(x) < key(y) ? -1 : 1));
  return (
    sa.length === sb.length &&
    sa.every((c, i) => c.name === sb[i]?.name && isDeepStrictEqual(c.arguments, sb[i]?.arguments))
  );
}

/**
 * Samples the student `samples` times on one turn and has the error judge label each answer that differs
 * from the reference. Answers identical to the reference are correct by construction and cost no judging.
 */
export async function studentTurnActivity(
  input: TurnInput & {
    query: string;
    callsRef?: Ref;
    tools: string[];
    samples: number;
    student: ResolvedRole;
    judge: ResolvedRole;
  },
): Promise<{ wrong: WrongAnswer[]; usage: Usage }> {
  return nonRetryableOn(async () => {
    const { student, judge } = input;
    if (student.provider !== 'llm' || judge.provider !== 'llm') return { wrong: [], usage: NO_USAGE };
    const ctx = await loadTurnContext(input);
    const pool = await poolIndex(input.storeDir, input.poolRef);
    // the tools offered at this turn: a function a later turn adds is not offered yet
    const tools = offeredAt(input.fsp, input.tools, input.turnIndex)
      .map((n) => pool.get(n))
      .filter((f): f is FunctionDef => !!f);
    const reference = input.callsRef ? await loadCalls(input.storeDir, input.callsRef) : [];
    let usage = NO_USAGE;
    const wrong: WrongAnswer[] = [];
    const history = historyCalls(ctx.history);
    for (let k = 0; k < input.samples; k++) {
      const s = await runRole(student, ROLES.student, {
        turnIndex: ctx.turnIndex,
        query: input.query,
        previousQueries: ctx.previousQueries,
        history,
        tools: tools.map(lite),
        sample: k,
      });
      usage = addUsage(usage, s.usage);
      const answer = s.value;
      if (sameCalls(answer.calls, reference)) continue;
      if (wrong.some((w) => sameCalls(w.calls, answer.calls))) continue;
      const j = await runRole(judge, ROLES.error_judge, {
        query: input.query,
        labels: ctx.turn.labels,
        previousQueries: ctx.previousQueries,
        history,
        reference: reference.map((c) => ({ name: c.name, arguments: c.arguments })),
        candidate: answer.calls,
      });
      usage = addUsage(usage, j.usage);
      if (j.value.length > 0)
        wrong.push({ sample: k, calls: answer.calls, final: answer.final, errors: j.value });
    }
    return { wrong, usage };
  });
}

/**
 * The rejected trajectory for one wrong answer: its calls really run against the tool state before the turn
 * (so results are what the mistake would produce), then the teacher writes the turn around them.
 */
export async function negativeTurnActivity(
  input: TurnInput & {
    query: string;
    wrong: WrongAnswer;
    mode: ExecutionMode;
    teacher: ResolvedRole;
    /** The conversation's id (absent in inputs of earlier releases). */
    scopeKey?: string;
  },
): Promise<{ callsRef: Ref; assistant: AssistantTurn; usage: Usage }> {
  return nonRetryableOn(async () => {
    if (input.teacher.provider !== 'llm')
      throw new Error('negative trajectories need an LLM negative_teacher');
    const ctx = await loadTurnContext(input);
    const pool = await poolIndex(input.storeDir, input.poolRef);
    const states = await loadStates(input.storeDir, input.stateRef);
    const id = (i: number): string => `neg_${input.turnIndex + 1}_${input.wrong.sample + 1}_${i + 1}`;
    const planned: PlannedCall[] = input.wrong.calls.map((c, i) => {
      const args: Record<string, unknown> = {};
      const refs: PlannedCall['refs'] = {};
      for (const [param, value] of Object.entries(c.arguments)) {
        // the student may chain calls like the forth-translation does: {"$from": "call_<turn>_<k>.<field>"}
        const from =
          value && typeof value === 'object' && '$from' in value
            ? String((value as { $from: unknown }).$from)
            : '';
        const m = /^call_\d+_(\d+)\.(.+)$/.exec(from);
        if (m && Number(m[1]) - 1 < i) refs[param] = { call: id(Number(m[1]) - 1), field: m[2] as string };
        else args[param] = value;
      }
      return { id: id(i), name: c.name, arguments: args, refs, sources: {} };
    });
    // the wrong calls run on outside servers in a scope of their own, rebuilt from the conversation's calls
    // before the turn, so they never touch the state the positive conversation goes on with
    const key = `${input.scopeKey ?? `${input.poolRef}/${input.seed}`}/negative-${input.turnIndex}-${input.wrong.sample}`;
    const external = await externalFor(input, key);
    let calls;
    try {
      ({ calls } = await executeTurn(
        planned,
        pool,
        states,
        input.seed,
        input.mode,
        undefined,
        false,
        external,
      ));
    } finally {
      if (external) await closeScope(key);
    }
    const task = { ...teacherTask(ctx, input.query, callSteps(calls)), errors: input.wrong.errors };
    const r = await runRole(input.teacher, ROLES.negative_teacher, task);
    return { callsRef: await putJson(input.storeDir, calls), assistant: r.value, usage: r.usage };
  });
}
