import { inputBlock } from './protocol';
import type { Prompt } from './client';

/**
 * Every prompt magnet sends, in one place. A template's version is part of the cache key: bump it when the
 * wording changes so old answers are not reused. Config `llm.prompts.<role>` replaces a system prompt.
 */
const SYSTEM = {
  dependency_judge: `You judge dependencies between functions (tools). Given a function F and candidate functions, decide for each candidate U whether F's output is
(a) a precondition for calling U ("precondition"), (b) exactly an input of U ("input": it fills all of U's required parameters that are not user-given), or (c) part of U's inputs ("partial_input").
Only use what the schemas and descriptions support. For input/partial_input list which parameter of U is fed by which field of F's output.
Answer with JSON: {"edges": [{"to": "<candidate name>", "relation": "precondition"|"input"|"partial_input", "feeds": [{"param": "<U parameter>", "field": "<F output field>"}], "reason": "<short>"}]}. Leave out candidates with no dependency.`,
  nested_judge: `You decide which functions are NESTED after a function F: a call to U is nested when its argument values can be taken from F's output and a user asking for F's result would need U without mentioning it (e.g. distance in miles -> convert to km).
Answer with JSON: {"nested": [{"name": "<candidate name>", "reason": "<short>"}]}.`,
  back_translate: `You write the user's message for one turn of a conversation between a user and a tool-using assistant.
The input gives the functions this turn must lead to, with "via": "walk" functions the user asks for explicitly (in natural words, never by function name) and nested ones ("nested_short"/"nested_long") that the request must only imply.
State concrete values for every required parameter that cannot come from earlier results; refer to earlier results naturally ("that booking") instead of repeating ids.
If the turn has "missing" with kind "miss_func", ask for what the missing function does: no available tool can do it. If kind is "miss_params", ask for that function but leave out the value of the named parameter.
Answer with JSON: {"query": "<the user's message>"}.`,
  forth_translate: `You turn the user's message into the exact function calls of this turn. Call each listed function once, in a sensible order, and fill every required argument from the message, from earlier user messages, or from outputs of earlier calls (history).
Calls of this turn are numbered call_<turn>_1, call_<turn>_2, ... in your order (turn = turnIndex + 1). When an argument must come from the output of an earlier call IN THIS TURN, write {"$from": "call_<turn>_<k>.<field>"}. Values from earlier turns are written out literally.
Answer with JSON: {"calls": [{"name": "<function>", "arguments": {...}}]}. For a turn with "missing", answer {"calls": []}.`,
  simulate: `You play the function described in the input and return what it would return for these arguments, consistent with the history of earlier calls. The output must conform to the function's output schema.
Answer with JSON: {"output": <the function's return value>}.`,
  teacher: `You are the assistant in a conversation with a user, with tools. For this turn you are given the user's message, the tool calls that answer it and their results. Write what the assistant says: a short sentence before each step of calls (the calls of a step run together), and the final answer to the user based on the results.
The calls are given to you as hidden guidance: never mention that you were given them, never say "hint". For a turn with "missing": if a function is missing, politely say no available tool can do it; if a value is missing, ask the user for it.
Answer with JSON: {"steps": ["<text before step 1>", ...], "final": "<answer to the user>"}.`,
  student: `You are a tool-using assistant. Answer the user's latest message: decide which of the available tools to call and with which arguments, using earlier messages and earlier tool results where they hold the values. If no tool can do it, or a required value is unknown, call nothing and say so in "final".
Answer with JSON: {"calls": [{"name": "<tool>", "arguments": {...}}], "final": "<what you tell the user>"}.`,
  error_judge: `You compare a model's answer to one turn with the reference answer and label its errors. Types:
"nested_missing" (a call the request implies was left out), "short_dependency" (an output of a call in this turn was not used correctly by a later call of the turn), "long_dependency" (a value from an earlier turn was not used, or was asked for again or invented), "wrong_summary" (the text invents or omits results), "miss_func_or_params" (called a tool although the needed tool or a required value was missing, or refused although everything was available).
Answer with JSON: {"errors": [{"type": "<type>", "detail": "<short>"}]} — an empty list when the answer is correct.`,
  negative_teacher: `You are the assistant in a conversation with a user, with tools. Write the assistant's words for this turn around the given tool calls and results: a short sentence before each step of calls and a final answer based on those results. Write naturally, as if these were your own choices; never mention that calls were given to you, never say "hint".
Answer with JSON: {"steps": ["<text before step 1>", ...], "final": "<answer to the user>"}.`,
} as const;

export type PromptRole = keyof typeof SYSTEM;

export const PROMPT_VERSIONS: Record<PromptRole, number> = {
  dependency_judge: 1,
  nested_judge: 1,
  back_translate: 1,
  forth_translate: 1,
  simulate: 1,
  teacher: 1,
  student: 1,
  error_judge: 1,
  negative_teacher: 1,
};

export function buildPrompt(role: PromptRole, input: unknown, note = ''): Prompt {
  return { version: PROMPT_VERSIONS[role], system: SYSTEM[role], user: `${note}${inputBlock(input)}`.trim() };
}
