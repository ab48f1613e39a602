import { z } from 'zod';
import { JudgeTask } from './common';
import { defineRole, unless } from './spec';

/**
 * Which feeding neighbours of a function are nested (implied by a request for it). The offline backend
 * has no rule of its own: planning counts every feeding neighbour as nested.
 */
export const nestedJudge = defineRole({
  name: 'nested_judge',
  version: 1,
  system: `You decide which functions are NESTED after a function F: a call to U is nested when its argument values can be taken from F's output and a user asking for F's result would need U without mentioning it (e.g. distance in miles -> convert to km).
Answer with JSON: {"nested": [{"name": "<candidate name>", "reason": "<short>"}]}.`,
  input: JudgeTask,
  output: z.object({
    nested: z.array(z.object({ name: z.string(), reason: z.string().optional() })),
  }),
  accept: (answer, input) => {
    const bad = answer.nested.find((n) => !input.candidates.some((c) => c.name === n.name));
    return unless(
      bad && `${bad.name} is not one of the candidates`,
      answer.nested.map((n) => n.name),
    );
  },
});
