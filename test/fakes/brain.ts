import { z } from 'zod';
import { callSteps, type ExecutedCall, type PlannedCall } from '../../src/core/conversation';
import { offlineJudge } from '../../src/core/graph';
import type { FunctionDef } from '../../src/core/pool';
import { hash32 } from '../../src/core/rng';
import {
  BackTranslateOutput,
  DependencyJudgeInput,
  DependencyJudgeOutput,
  FnLite,
  ForthTranslateInput,
  ForthTranslateOutput,
  HistoryCall,
  NestedJudgeInput,
  NestedJudgeOutput,
  SimulateInput,
  SimulateOutput,
  TeacherInput,
  TeacherOutput,
  TurnTask,
  StudentInput,
} from '../../src/core/roles';
import {
  action,
  offlineBackTranslate,
  offlineDistill,
  offlineForthTranslate,
  type TurnContext,
} from '../../src/llm/offline';
import type { Role } from '../../src/llm/protocol';
import { simulateOutput } from '../../src/tools/simulate';

/**
 * The "brain" of the fake LLM servers: a valid answer for every magnet role, computed with the offline
 * rules, so a pipeline driven through a fake server produces the same data as the offline backend.
 * Invalid inputs throw a BrainError; the servers turn it into a 400 with the message.
 */
export class BrainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BrainError';
  }
}

type HistoryCallT = z.infer<typeof HistoryCall>;
type TurnTaskT = z.infer<typeof TurnTask>;

function parse<S extends z.ZodType>(role: string, schema: S, input: unknown): z.infer<S> {
  const r = schema.safeParse(input);
  if (!r.success) throw new BrainError(`${role}: invalid input\n${z.prettifyError(r.error)}`);
  return r.data;
}

/** FnLite lacks category/source; the offline rules never look at them. */
export function fnAsDef(fn: FnLite): FunctionDef {
  return { ...fn, category: 'fake', source: { file: 'fake-llm', item: fn.name } } as FunctionDef;
}

function asExecuted(c: HistoryCallT): ExecutedCall {
  return { ...c, sources: {}, after: [], executor: 'simulated' };
}

/** The offline TurnContext of a TurnTask; the seed depends on the turn only, so answers are stable. */
export function turnContext(input: TurnTaskT): TurnContext {
  return {
    seed: hash32(JSON.stringify({ t: input.turnIndex, f: input.turn })),
    turnIndex: input.turnIndex,
    turn: input.turn,
    defs: input.functions.map(fnAsDef),
    missingDef: input.missingFunction ? fnAsDef(input.missingFunction) : undefined,
    history: input.history.map(asExecuted),
    previousQueries: input.previousQueries,
    hints: input.environment,
  };
}

export interface CallOut {
  name: string;
  arguments: Record<string, unknown>;
}

/** Planned calls as a model answers them: refs become `{"$from": "<call id>.<field>"}`. */
export function toWireCalls(calls: readonly PlannedCall[]): CallOut[] {
  return calls.map((c) => {
    const args: Record<string, unknown> = { ...c.arguments };
    for (const [param, ref] of Object.entries(c.refs ?? {}))
      args[param] = { $from: `${ref.call}.${ref.field}` };
    return { name: c.name, arguments: args };
  });
}

function translate(input: TurnTaskT & { query: string }): CallOut[] {
  if (input.turn.missing) return [];
  try {
    return toWireCalls(offlineForthTranslate(turnContext(input), input.query));
  } catch (e) {
    throw new BrainError(`forth_translate: ${(e as Error).message}`);
  }
}

function distill(
  role: string,
  input: TurnTaskT & { calls: HistoryCallT[]; steps: string[][] },
): { steps: string[]; final: string } {
  const byId = new Map(input.calls.map((c) => [c.id, asExecuted(c)]));
  const steps = input.steps.map((ids) =>
    ids.map((id) => {
      const c = byId.get(id);
      if (!c) throw new BrainError(`${role}: step refers to unknown call id "${id}"`);
      return c;
    }),
  );
  return offlineDistill(turnContext(input), steps);
}

// The student / error_judge / negative_teacher inputs are not fixed by src/core/roles.ts: validate loosely.

const LooseCall = z
  .object({ name: z.string(), arguments: z.record(z.string(), z.unknown()).optional() })
  .loose();
const LooseCalls = z.union([
  z.array(LooseCall),
  z.object({ calls: z.array(LooseCall) }).transform((o) => o.calls),
]);
const REFERENCE_KEYS = ['reference', 'referenceCalls', 'expected', 'gold'];
const CANDIDATE_KEYS = ['candidate', 'candidateCalls', 'actual', 'student', 'studentCalls'];

function pickCalls(role: string, input: unknown, keys: string[]): z.infer<typeof LooseCall>[] {
  if (!input || typeof input !== 'object') throw new BrainError(`${role}: input must be an object`);
  const key = keys.find((k) => k in input);
  if (!key) throw new BrainError(`${role}: input needs one of ${keys.join(', ')}`);
  return parse(`${role}.${key}`, LooseCalls, (input as Record<string, unknown>)[key]);
}

const NegativeTeacherInput = TeacherInput.extend({
  history: z.array(HistoryCall).default([]),
  previousQueries: z.array(z.string()).default([]),
  calls: z.array(HistoryCall).default([]),
  steps: z.array(z.array(z.string())).optional(),
}).loose();

/** Groups calls into steps the way the pipeline does when the input gives no explicit steps. */
function defaultSteps(calls: HistoryCallT[]): string[][] {
  return callSteps(calls.map(asExecuted)).map((s) => s.map((c) => c.id));
}

/** A valid output for `role` given its task input (throws BrainError on an invalid input). */
export function answer(role: Role, input: unknown): unknown {
  switch (role) {
    case 'dependency_judge': {
      const inp = parse(role, DependencyJudgeInput, input);
      const edges = offlineJudge(fnAsDef(inp.function), inp.candidates.map(fnAsDef)).map((e) => ({
        to: e.to,
        relation: e.relation,
        feeds: e.feeds,
        reason: e.reason,
      }));
      return DependencyJudgeOutput.parse({ edges });
    }
    case 'nested_judge': {
      const inp = parse(role, NestedJudgeInput, input);
      const fn = fnAsDef(inp.function);
      const nested = inp.candidates
        .filter((c) => offlineJudge(fn, [fnAsDef(c)]).some((e) => e.feeds.length > 0))
        .map((c) => ({ name: c.name }));
      return NestedJudgeOutput.parse({ nested });
    }
    case 'back_translate': {
      const inp = parse(role, TurnTask, input);
      try {
        return BackTranslateOutput.parse({ query: offlineBackTranslate(turnContext(inp)) });
      } catch (e) {
        throw new BrainError(`back_translate: ${(e as Error).message}`);
      }
    }
    case 'forth_translate': {
      const inp = parse(role, ForthTranslateInput, input);
      return ForthTranslateOutput.parse({ calls: translate(inp) });
    }
    case 'simulate': {
      const inp = parse(role, SimulateInput, input);
      const output = simulateOutput(
        fnAsDef(inp.function),
        inp.arguments,
        hash32(JSON.stringify(inp.arguments)),
      );
      return SimulateOutput.parse({ output });
    }
    case 'teacher': {
      const inp = parse(role, TeacherInput, input);
      return TeacherOutput.parse(distill(role, inp));
    }
    case 'student': {
      // A rule-based student: it calls the tools whose action the message spells out, so implied (nested)
      // calls are forgotten, a realistic mistake; it never sees the reference.
      const inp = parse(role, StudentInput, input);
      const chosen = inp.tools.map(fnAsDef).filter((d) => inp.query.includes(action(d)));
      const ctx: TurnContext = {
        seed: hash32(inp.query),
        turnIndex: inp.turnIndex,
        turn: { functions: chosen.map((d) => ({ name: d.name, via: 'walk' as const })), labels: ['walk'] },
        defs: chosen,
        history: inp.history.map(asExecuted),
        previousQueries: inp.previousQueries,
      };
      try {
        return { calls: toWireCalls(offlineForthTranslate(ctx, inp.query)) };
      } catch {
        return { calls: [], final: 'Could you tell me more about what you need?' };
      }
    }
    case 'error_judge': {
      const reference = pickCalls(role, input, REFERENCE_KEYS);
      const candidate = pickCalls(role, input, CANDIDATE_KEYS);
      if (reference.length === 0 && candidate.length > 0) {
        return {
          errors: [
            { type: 'miss_func_or_params', detail: 'called a tool although the request cannot be done' },
          ],
        };
      }
      if (candidate.length >= reference.length) return { errors: [] };
      const have = new Set(candidate.map((c) => c.name));
      const missing = reference.filter((c) => !have.has(c.name)).map((c) => c.name);
      return {
        errors: [
          {
            type: 'nested_missing',
            detail: `expected ${reference.length} calls, got ${candidate.length}${
              missing.length ? `; missing ${missing.join(', ')}` : ''
            }`,
          },
        ],
      };
    }
    case 'negative_teacher': {
      const inp = parse(role, NegativeTeacherInput, input);
      const { steps } = distill(role, { ...inp, steps: inp.steps ?? defaultSteps(inp.calls) });
      return { steps, final: 'I completed the request.' };
    }
    default: {
      const never: never = role;
      throw new BrainError(`unknown role ${String(never)}`);
    }
  }
}
