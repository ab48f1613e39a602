import Ajv from 'ajv';
import type { AssistantTurn, ExecutedCall, PlannedCall } from '../core/conversation';
import { checkJudged, type Edge } from '../core/graph';
import type { FunctionDef } from '../core/pool';
import {
  BackTranslateOutput,
  DependencyJudgeOutput,
  ForthTranslateOutput,
  NestedJudgeOutput,
  SimulateOutput,
  TeacherOutput,
  StudentOutput,
  ErrorJudgeOutput,
  HistoryCall,
  TeacherInput,
  type FnLite,
  type TurnTask,
} from '../core/roles';
import { checkOutput } from '../tools/execute';
import { completeJson, type Check, type LlmCallRole, type Usage } from './client';
import type { TurnContext } from './offline';
import { buildPrompt } from './prompts';
import type { z } from 'zod';

/** The LLM implementations of each role: prompt, call, and the checks that decide whether to repair. */
const ajv = new Ajv({ allErrors: false, strict: false });

export function lite(f: FunctionDef): FnLite {
  return { name: f.name, description: f.description, parameters: f.parameters, output: f.output };
}

function shape<S extends z.ZodType>(
  schema: S,
  more?: (v: z.infer<S>) => string | undefined,
): Check<z.infer<S>> {
  return (data) => {
    const r = schema.safeParse(data);
    if (!r.success) {
      const i = r.error.issues[0];
      return { ok: false, error: `field ${i?.path.join('.') || '(root)'}: ${i?.message}` };
    }
    const problem = more?.(r.data);
    return problem ? { ok: false, error: problem } : { ok: true, value: r.data };
  };
}

export async function llmJudgeDependencies(
  r: LlmCallRole,
  v: FunctionDef,
  candidates: FunctionDef[],
): Promise<{ edges: Edge[]; usage: Usage }> {
  const input = { function: lite(v), candidates: candidates.map(lite) };
  const toEdges = (o: z.infer<typeof DependencyJudgeOutput>): Edge[] =>
    o.edges.map((e) => ({ from: v.name, ...e }));
  const { value, usage } = await completeJson(
    r,
    buildPrompt('dependency_judge', input),
    shape(DependencyJudgeOutput, (o) => {
      const bad = checkJudged(v, candidates, toEdges(o)).rejected[0];
      return bad ? `edge to ${bad.edge.to} rejected: ${bad.reason}` : undefined;
    }),
  );
  return { edges: toEdges(value), usage };
}

export async function llmNestedJudge(
  r: LlmCallRole,
  v: FunctionDef,
  candidates: FunctionDef[],
): Promise<{ nested: string[]; usage: Usage }> {
  const names = new Set(candidates.map((c) => c.name));
  const { value, usage } = await completeJson(
    r,
    buildPrompt('nested_judge', { function: lite(v), candidates: candidates.map(lite) }),
    shape(NestedJudgeOutput, (o) => {
      const bad = o.nested.find((n) => !names.has(n.name));
      return bad ? `${bad.name} is not one of the candidates` : undefined;
    }),
  );
  return { nested: value.nested.map((n) => n.name), usage };
}

/** Earlier calls as prompts show them: what was called and what came back, not how it was planned. */
function historyCalls(calls: readonly ExecutedCall[]): z.infer<typeof HistoryCall>[] {
  return calls.map((c) => ({
    id: c.id,
    name: c.name,
    arguments: c.arguments,
    output: c.output,
    error: c.error,
  }));
}

/** A teacher's task: the turn, the calls that answer it and their results, grouped in steps. */
function teacherTask(ctx: TurnContext, query: string, steps: ExecutedCall[][]): z.infer<typeof TeacherInput> {
  return {
    ...turnTask(ctx),
    query,
    calls: historyCalls(steps.flat()),
    steps: steps.map((s) => s.map((c) => c.id)),
  };
}

export function turnTask(ctx: TurnContext): TurnTask {
  return {
    turnIndex: ctx.turnIndex,
    turn: ctx.turn,
    functions: ctx.defs.map(lite),
    missingFunction: ctx.missingDef ? lite(ctx.missingDef) : undefined,
    history: historyCalls(ctx.history),
    previousQueries: ctx.previousQueries,
    environment: ctx.hints,
  };
}

export async function llmBackTranslate(
  r: LlmCallRole,
  ctx: TurnContext,
): Promise<{ query: string; usage: Usage }> {
  const nested = ctx.turn.functions.filter((f) => f.via !== 'walk').map((f) => f.name);
  const { value, usage } = await completeJson(
    r,
    buildPrompt('back_translate', turnTask(ctx)),
    shape(BackTranslateOutput, (o) => {
      const leaked = nested.find((n) => o.query.includes(n));
      return leaked ? `the query names the nested function ${leaked}; it must only be implied` : undefined;
    }),
  );
  return { query: value.query, usage };
}

const REF = /^(call_\d+_\d+)\.(.+)$/;

/** Checks model-made calls: the turn's functions, each once, required arguments present, types per schema. */
export function toPlannedCalls(
  ctx: TurnContext,
  out: z.infer<typeof ForthTranslateOutput>,
): PlannedCall[] | string {
  const expected = ctx.defs.map((d) => d.name).sort();
  const got = out.calls.map((c) => c.name).sort();
  const unknown = got.find((n) => !expected.includes(n));
  if (unknown) return `unknown function ${unknown}: this turn may only call ${expected.join(', ')}`;
  if (JSON.stringify(expected) !== JSON.stringify(got))
    return `expected one call each of ${expected.join(', ')}, got ${got.join(', ') || 'none'}`;
  const calls: PlannedCall[] = [];
  for (const [k, c] of out.calls.entries()) {
    const id = `call_${ctx.turnIndex + 1}_${k + 1}`;
    const def = ctx.defs.find((d) => d.name === c.name) as FunctionDef;
    const args: Record<string, unknown> = {};
    const refs: PlannedCall['refs'] = {};
    const sources: PlannedCall['sources'] = {};
    for (const [param, value] of Object.entries(c.arguments)) {
      const from =
        value && typeof value === 'object' && '$from' in value
          ? String((value as { $from: unknown }).$from)
          : undefined;
      if (from !== undefined) {
        const m = REF.exec(from);
        if (!m || !calls.some((p) => p.id === m[1]))
          return `${c.name}.${param}: $from "${from}" must name an earlier call of this turn (call_${ctx.turnIndex + 1}_<k>.<field>)`;
        refs[param] = { call: m[1] as string, field: m[2] as string };
        sources[param] = { kind: 'call', call: m[1] as string, field: m[2] as string };
        continue;
      }
      args[param] = value;
      const earlier = ctx.history.find((h) => {
        const o = h.output as Record<string, unknown> | null;
        return (
          !!o &&
          typeof o === 'object' &&
          Object.entries(o).some(
            ([, v]) => JSON.stringify(v) === JSON.stringify(value) && typeof v !== 'boolean',
          )
        );
      });
      const field = earlier
        ? Object.entries(earlier.output as Record<string, unknown>).find(
            ([, v]) => JSON.stringify(v) === JSON.stringify(value),
          )?.[0]
        : undefined;
      sources[param] =
        earlier && field ? { kind: 'call', call: earlier.id, field } : { kind: 'query', turn: ctx.turnIndex };
    }
    const missing = def.parameters.required.find((p) => !(p in args) && !(p in refs));
    if (missing) return `${c.name}: required argument "${missing}" is missing`;
    const validate = ajv.compile({
      ...def.parameters,
      required: def.parameters.required.filter((p) => !(p in refs)),
    });
    if (!validate(args))
      return `${c.name}: arguments ${validate.errors?.[0]?.instancePath || ''} ${validate.errors?.[0]?.message ?? 'invalid'}`;
    calls.push({ id, name: c.name, arguments: args, refs, sources });
  }
  return calls;
}

export async function llmForthTranslate(
  r: LlmCallRole,
  ctx: TurnContext,
  query: string,
): Promise<{ calls: PlannedCall[]; usage: Usage }> {
  const { value, usage } = await completeJson(
    r,
    buildPrompt('forth_translate', { ...turnTask(ctx), query }),
    (data) => {
      const s = shape(ForthTranslateOutput)(data);
      if (!s.ok) return s;
      const calls = toPlannedCalls(ctx, s.value);
      return typeof calls === 'string' ? { ok: false, error: calls } : { ok: true, value: calls };
    },
  );
  return { calls: value, usage };
}

export async function llmSimulate(
  r: LlmCallRole,
  def: FunctionDef,
  args: Record<string, unknown>,
  history: ExecutedCall[],
): Promise<{ output: unknown; usage: Usage }> {
  const input = {
    function: lite(def),
    arguments: args,
    history: historyCalls(history),
  };
  const { value, usage } = await completeJson(
    r,
    buildPrompt('simulate', input),
    shape(SimulateOutput, (o) => checkOutput(def, o.output)),
  );
  return { output: value.output, usage };
}

const HINT = /\bhints?\b/i;

/** A teacher's turn: one text per step of calls, and no word about the hints it was given. */
function teacherCheck(steps: number): Check<z.infer<typeof TeacherOutput>> {
  return shape(TeacherOutput, (o) => {
    if (o.steps.length !== steps) return `expected ${steps} step texts, got ${o.steps.length}`;
    if ([...o.steps, o.final].some((t) => HINT.test(t))) return 'the answer mentions the hints; it must not';
    return undefined;
  });
}

export async function llmTeacher(
  r: LlmCallRole,
  ctx: TurnContext,
  query: string,
  steps: ExecutedCall[][],
): Promise<{ assistant: AssistantTurn; usage: Usage }> {
  const input = teacherTask(ctx, query, steps);
  const { value, usage } = await completeJson(r, buildPrompt('teacher', input), teacherCheck(steps.length));
  return { assistant: value, usage };
}

export type StudentAnswer = z.infer<typeof StudentOutput>;

/** One sample of the student model answering a turn (what it would do at inference time). */
export async function llmStudent(
  r: LlmCallRole,
  ctx: TurnContext,
  query: string,
  tools: FunctionDef[],
  sample: number,
): Promise<{ answer: StudentAnswer; usage: Usage }> {
  const input = {
    turnIndex: ctx.turnIndex,
    query,
    previousQueries: ctx.previousQueries,
    history: historyCalls(ctx.history),
    tools: tools.map(lite),
    sample,
  };
  // Students hallucinate too: an unknown tool is a legitimate error to learn from, so only the shape is checked.
  const { value, usage } = await completeJson(r, buildPrompt('student', input), shape(StudentOutput));
  return { answer: value, usage };
}

export type JudgedError = z.infer<typeof ErrorJudgeOutput>['errors'][number];

export async function llmErrorJudge(
  r: LlmCallRole,
  ctx: TurnContext,
  query: string,
  reference: ExecutedCall[],
  candidate: StudentAnswer['calls'],
): Promise<{ errors: JudgedError[]; usage: Usage }> {
  const input = {
    query,
    labels: ctx.turn.labels,
    previousQueries: ctx.previousQueries,
    history: historyCalls(ctx.history),
    reference: reference.map((c) => ({ name: c.name, arguments: c.arguments })),
    candidate,
  };
  const { value, usage } = await completeJson(r, buildPrompt('error_judge', input), shape(ErrorJudgeOutput));
  return { errors: value.errors, usage };
}

/** The rejected answer: the teacher writes the turn around the student's wrong calls (and their results). */
export async function llmNegativeTeacher(
  r: LlmCallRole,
  ctx: TurnContext,
  query: string,
  steps: ExecutedCall[][],
  errors: JudgedError[],
): Promise<{ assistant: AssistantTurn; usage: Usage }> {
  const input = { ...teacherTask(ctx, query, steps), errors };
  const { value, usage } = await completeJson(
    r,
    buildPrompt('negative_teacher', input),
    teacherCheck(steps.length),
  );
  return { assistant: value, usage };
}
