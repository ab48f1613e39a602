import { z } from 'zod';
import type { AssistantTurn, ExecutedCall } from '../core/conversation';
import type { Checked } from '../llm/request';
import { asExecuted, historyCalls, HistoryCall, turnContext, turnTask, TurnTask } from './common';
import { TranslationError, type TurnContext } from './context';
import { offlineDistill } from './offline/teacher';
import { defineRole, unless } from './spec';

export const TeacherInput = TurnTask.extend({
  query: z.string(),
  calls: z.array(HistoryCall),
  /** Call ids grouped in the order they run: ids in one group are parallel. */
  steps: z.array(z.array(z.string())),
});
type TeacherInput = z.infer<typeof TeacherInput>;

export const TeacherOutput = z.object({ steps: z.array(z.string()), final: z.string().min(1) });

/** A teacher's task: the turn, the calls that answer it and their results, grouped in steps. */
export function teacherTask(ctx: TurnContext, query: string, steps: ExecutedCall[][]): TeacherInput {
  return {
    ...turnTask(ctx),
    query,
    calls: historyCalls(steps.flat()),
    steps: steps.map((s) => s.map((c) => c.id)),
  };
}

const HINT = /\bhints?\b/i;

/** A teacher's turn: one text per step of calls, and no word about the hints it was given. */
export function acceptTurn(answer: AssistantTurn, input: TeacherInput): Checked<AssistantTurn> {
  if (answer.steps.length !== input.steps.length)
    return unless(`expected ${input.steps.length} step texts, got ${answer.steps.length}`, answer);
  const leaked = [...answer.steps, answer.final].some((t) => HINT.test(t));
  return unless(leaked ? 'the answer mentions the hints; it must not' : undefined, answer);
}

/** The offline teacher on a task: the task's calls, grouped in its steps. */
export function offlineTurn(input: TeacherInput, seed: number): AssistantTurn {
  const byId = new Map(input.calls.map((c) => [c.id, asExecuted(c)]));
  const steps = input.steps.map((ids) =>
    ids.map((id) => {
      const c = byId.get(id);
      if (!c) throw new TranslationError(`step refers to unknown call id "${id}"`);
      return c;
    }),
  );
  return offlineDistill(turnContext(input, seed), steps);
}

/** The assistant's words of a positive turn, around the calls that answer it (hidden guidance). */
export const teacher = defineRole({
  name: 'teacher',
  // 2: the task's shared parts first (roles/layout.ts)
  version: 2,
  system: `You are the assistant in a conversation with a user, with tools. For this turn you are given the user's message, the tool calls that answer it and their results. Write what the assistant says: a short sentence before each step of calls (the calls of a step run together), and the final answer to the user based on the results.
The calls are given to you as hidden guidance: never mention that you were given them, never say "hint". For a turn with "missing": if a function is missing, politely say no available tool can do it; if a value is missing, ask the user for it.
Answer with JSON: {"steps": ["<text before step 1>", ...], "final": "<answer to the user>"}.`,
  input: TeacherInput,
  output: TeacherOutput,
  accept: acceptTurn,
  offline: offlineTurn,
});
