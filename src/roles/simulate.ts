import { z } from 'zod';
import { checkOutput } from '../tools/execute';
import { simulateOutput } from '../tools/simulate';
import { fnAsDef, FnLite, HistoryCall } from './common';
import { defineRole, unless } from './spec';

/**
 * A function without implementation, played by a model. The offline backend runs the same schema-based
 * rule inside `executeTurn`, which needs no task; `offline` applies it to a task.
 */
export const simulate = defineRole({
  name: 'simulate',
  // 2: the task's shared parts first (roles/layout.ts)
  version: 2,
  system: `You play the function described in the input and return what it would return for these arguments, consistent with the history of earlier calls. The output must conform to the function's output schema.
Answer with JSON: {"output": <the function's return value>}.`,
  input: z.object({
    function: FnLite,
    arguments: z.record(z.string(), z.unknown()),
    history: z.array(HistoryCall),
  }),
  output: z.object({ output: z.unknown() }),
  accept: (answer, input) => unless(checkOutput(fnAsDef(input.function), answer.output), answer.output),
  offline: (input, seed) => simulateOutput(fnAsDef(input.function), input.arguments, seed),
});
