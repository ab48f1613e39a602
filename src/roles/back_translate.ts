import { z } from 'zod';
import { turnContext, TurnTask } from './common';
import { offlineBackTranslate } from './offline/back_translate';
import { defineRole, unless } from './spec';

/** The user's message of a turn: walk functions asked for in words, nested ones only implied. */
export const backTranslate = defineRole({
  name: 'back_translate',
  // 2: parallel and multiple items of the mix; 3: turns that provide a missing function; 4: the environment's
  // values and a failed earlier version's feedback; 5: the task's shared parts first (roles/layout.ts)
  version: 5,
  system: `You write the user's message for one turn of a conversation between a user and a tool-using assistant.
The input gives the functions this turn must lead to, with "via": "walk" functions the user asks for explicitly (in natural words, never by function name) and nested ones ("nested_short"/"nested_long") that the request must only imply.
State concrete values for every required parameter that cannot come from earlier results; refer to earlier results naturally ("that booking") instead of repeating ids.
Values must exist: "environment" lists the values the tools' state holds, by parameter name, and "environmentRows" records whose values belong together (a user and their password): take ids, names, paths and accounts from them or from earlier results, never invent one.
If "feedback" is given, an earlier version of this turn failed (its calls and the errors are listed): write the request again so the calls can succeed, with other values that exist.
If the turn has "missing" with kind "miss_func", ask for what the missing function does: no available tool can do it. If kind is "miss_params", ask for that function but leave out the value of the named parameter.
If the turn has "adds" (labels include "provides_function"), the user has just made those functions available after the assistant said it had no tool for an earlier request: say that they are now available (by name) and restate that request in full, with every value the call needs, so the message stands on its own.
If the turn's labels include "parallel", the same function is listed several times: ask for it that many times in one message, each time with different values. If they include "multiple", ask for all the listed functions in one message, each with its own values.
Answer with JSON: {"query": "<the user's message>"}.`,
  input: TurnTask,
  output: z.object({ query: z.string().min(1) }),
  accept: (answer, input) => {
    const leaked = input.turn.functions.find((f) => f.via !== 'walk' && answer.query.includes(f.name));
    return unless(
      leaked && `the query names the nested function ${leaked.name}; it must only be implied`,
      answer.query,
    );
  },
  offline: (input, seed) => offlineBackTranslate(turnContext(input, seed)),
});
