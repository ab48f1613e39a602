import { z } from 'zod';
import type { LlmRole } from '../../src/core/config';
import type { PlannedCall } from '../../src/core/conversation';
import { offlineJudge } from '../../src/core/graph';
import { hash32 } from '../../src/core/rng';
import type { TurnContext } from '../../src/roles/context';
import { action } from '../../src/roles/offline/common';
import { offlineForthTranslate } from '../../src/roles/offline/forth_translate';
import { ROLES, type RoleInput, type RoleOutput } from '../../src/roles';
import { asExecuted, fnAsDef, type TurnTask } from '../../src/roles/common';

/**
 * The "brain" of the fake LLM servers: a valid answer for every magnet role, computed with the offline
 * rules, so a pipeline driven through a fake server produces the same data as the offline backend. Tasks
 * are read with the roles' own input schemas (src/roles). Invalid inputs throw a BrainError; the servers
 * turn it into a 400 with the message.
 */
export class BrainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BrainError';
  }
}

/** Offline answers to a turn task take their seed from the turn alone, so they are stable. */
function turnSeed(input: TurnTask): number {
  return hash32(JSON.stringify({ t: input.turnIndex, f: input.turn }));
}

/** A role's offline rules (the roles the fake answers with them all have some). */
function offline<I, R>(spec: { name: string; offline?(input: I, seed: number): R }): (i: I, s: number) => R {
  const rules = spec.offline;
  if (!rules) throw new BrainError(`${spec.name} has no offline rules`);
  return (i, s) => rules.call(spec, i, s);
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

const ANSWERS: { [N in LlmRole]: (input: RoleInput<N>) => RoleOutput<N> } = {
  dependency_judge: (input) => ({
    edges: offline(ROLES.dependency_judge)(input, 0).map((e) => ({
      to: e.to,
      relation: e.relation,
      feeds: e.feeds,
      reason: e.reason,
    })),
  }),
  // The offline backend needs no nested judge (planning counts every feeding neighbour as nested): a
  // candidate is nested when the offline dependency judge finds that it is fed.
  nested_judge: (input) => {
    const fn = fnAsDef(input.function);
    return {
      nested: input.candidates
        .filter((c) => offlineJudge(fn, [fnAsDef(c)]).some((e) => e.feeds.length > 0))
        .map((c) => ({ name: c.name })),
    };
  },
  back_translate: (input) => ({ query: offline(ROLES.back_translate)(input, turnSeed(input)) }),
  forth_translate: (input) => ({
    calls: input.turn.missing ? [] : toWireCalls(offline(ROLES.forth_translate)(input, turnSeed(input))),
  }),
  simulate: (input) => ({
    output: offline(ROLES.simulate)(input, hash32(JSON.stringify(input.arguments))),
  }),
  teacher: (input) => offline(ROLES.teacher)(input, turnSeed(input)),
  // A rule-based student: it calls the tools whose action the message spells out, so implied (nested)
  // calls are forgotten, a realistic mistake; it never sees the reference.
  student: (input) => {
    const chosen = input.tools.map(fnAsDef).filter((d) => input.query.includes(action(d)));
    const ctx: TurnContext = {
      seed: hash32(input.query),
      turnIndex: input.turnIndex,
      turn: { functions: chosen.map((d) => ({ name: d.name, via: 'walk' as const })), labels: ['walk'] },
      defs: chosen,
      history: input.history.map(asExecuted),
      previousQueries: input.previousQueries,
    };
    try {
      return { calls: toWireCalls(offlineForthTranslate(ctx, input.query)) };
    } catch {
      return { calls: [], final: 'Could you tell me more about what you need?' };
    }
  },
  error_judge: ({ reference, candidate }) => {
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
  },
  quality_judge: (input) => offline(ROLES.quality_judge)(input, 0),
  negative_teacher: (input) => ({
    steps: offline(ROLES.teacher)(input, turnSeed(input)).steps,
    final: 'I completed the request.',
  }),
};

/** A valid output for `role` given its task input (throws BrainError on an invalid input). */
export function answer(role: LlmRole, input: unknown): unknown {
  const parsed = ROLES[role].input.safeParse(input);
  if (!parsed.success) throw new BrainError(`${role}: invalid input\n${z.prettifyError(parsed.error)}`);
  try {
    return (ANSWERS[role] as (i: unknown) => unknown)(parsed.data);
  } catch (e) {
    if (e instanceof BrainError) throw e;
    throw new BrainError(`${role}: ${(e as Error).message}`);
  }
}

/**
 * An answer as native tool calls, as the servers answer a request that sent tools: the calls of a brain's
 * answer (`{"calls": [...]}`, forth_translate's and the student's shape) and its `final` as the text; undefined
 * for content that is not such an answer (a script's own text), which the servers then send as text.
 */
export function asToolCalls(content: string): { calls: CallOut[]; text: string } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch {
    return undefined;
  }
  const a = parsed as { calls?: unknown; final?: unknown } | null;
  if (!a || typeof a !== 'object' || !Array.isArray(a.calls)) return undefined;
  return { calls: a.calls as CallOut[], text: typeof a.final === 'string' ? a.final : '' };
}
