import { z } from 'zod';
import type { PlannedCall } from '../core/conversation';
import { validatorFor } from '../tools/validators';
import { toolSpecs } from '../llm/tools';
import { turnContext, TurnTask } from './common';
import { offlineForthTranslate } from './offline/forth_translate';
import { defineRole } from './spec';

const Input = TurnTask.extend({ query: z.string() });
/** An argument is a value, or `{"$from": "<call id>.<field>"}` for an output of an earlier call of the turn. */
const Output = z.object({
  calls: z.array(z.object({ name: z.string(), arguments: z.record(z.string(), z.unknown()) })),
});

const REF = /^(call_\d+_\d+)\.(.+)$/;

const INSTRUCTIONS = `You turn the user's message into the exact function calls of this turn. Call each listed function once (a function listed several times, in a "parallel" turn, once per listing with the values the message gives for each), in a sensible order, and fill every required argument from the message, from earlier user messages, or from outputs of earlier calls (history).
Calls of this turn are numbered call_<turn>_1, call_<turn>_2, ... in your order (turn = turnIndex + 1). When an argument must come from the output of an earlier call IN THIS TURN, write {"$from": "call_<turn>_<k>.<field>"}. Values from earlier turns are written out literally.
"environment" lists values that exist in the tools' state (by parameter name) and "environmentRows" records whose values belong together: an id, name or path the message refers to must be one of them or come from an output, never invented. If "feedback" is given, an earlier version of this turn failed with those calls and errors: do not repeat a failing value.`;

/** The object an argument takes in tools mode when it is an output of an earlier call of the turn. */
const REFERENCE = {
  type: 'object',
  description: 'the output field of an earlier call of this turn: {"$from": "call_<turn>_<k>.<field>"}',
  properties: { $from: { type: 'string' } },
  required: ['$from'],
};

/**
 * A function's parameters as a tool of a turn with several calls: each argument its own schema or a
 * reference to an earlier call's output (so schema-guided decoding lets the model write one).
 */
function withReferences(parameters: Record<string, unknown>): Record<string, unknown> {
  const props = (parameters.properties ?? {}) as Record<string, unknown>;
  return {
    ...parameters,
    properties: Object.fromEntries(Object.entries(props).map(([k, v]) => [k, { anyOf: [v, REFERENCE] }])),
  };
}

/** Checks model-made calls: the turn's functions, each once, required arguments present, types per schema. */
function toPlannedCalls(task: z.infer<typeof Input>, out: z.infer<typeof Output>): PlannedCall[] | string {
  const expected = task.functions.map((d) => d.name).sort();
  const got = out.calls.map((c) => c.name).sort();
  const unknown = got.find((n) => !expected.includes(n));
  if (unknown) return `unknown function ${unknown}: this turn may only call ${expected.join(', ')}`;
  if (JSON.stringify(expected) !== JSON.stringify(got))
    return `expected one call each of ${expected.join(', ')}, got ${got.join(', ') || 'none'}`;
  const calls: PlannedCall[] = [];
  for (const [k, c] of out.calls.entries()) {
    const id = `call_${task.turnIndex + 1}_${k + 1}`;
    const def = task.functions.find((d) => d.name === c.name) as (typeof task.functions)[number];
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
          return `${c.name}.${param}: $from "${from}" must name an earlier call of this turn (call_${task.turnIndex + 1}_<k>.<field>)`;
        refs[param] = { call: m[1] as string, field: m[2] as string };
        sources[param] = { kind: 'call', call: m[1] as string, field: m[2] as string };
        continue;
      }
      args[param] = value;
      const earlier = task.history.find((h) => {
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
        earlier && field
          ? { kind: 'call', call: earlier.id, field }
          : { kind: 'query', turn: task.turnIndex };
    }
    const missing = def.parameters.required.find((p) => !(p in args) && !(p in refs));
    if (missing) return `${c.name}: required argument "${missing}" is missing`;
    const validate = validatorFor({
      ...def.parameters,
      required: def.parameters.required.filter((p) => !(p in refs)),
    });
    if (!validate(args))
      return `${c.name}: arguments ${validate.errors?.[0]?.instancePath || ''} ${validate.errors?.[0]?.message ?? 'invalid'}`;
    calls.push({ id, name: c.name, arguments: args, refs, sources });
  }
  return calls;
}

/** The exact calls of a turn, from its user message. */
export const forthTranslate = defineRole({
  name: 'forth_translate',
  // 2: parallel items of the mix; 3: the environment's values and a failed earlier version's feedback;
  // 4: the task's shared parts first (roles/layout.ts); 5: tools mode (native tool calls)
  version: 5,
  system: `${INSTRUCTIONS}
Answer with JSON: {"calls": [{"name": "<function>", "arguments": {...}}]}. For a turn with "missing", answer {"calls": []}.`,
  toolsMode: {
    system: `${INSTRUCTIONS}
Make the calls with your tools, all in this one answer (parallel tool calls), in your order; an argument from an earlier call of this turn is the object {"$from": "call_<turn>_<k>.<field>"} in the call's arguments. For a turn with "missing", call nothing.`,
    tools: (input) => ({
      specs: toolSpecs(input.functions, input.functions.length > 1 ? withReferences : undefined),
      // the model's words beside its calls are kept (read by nobody but a person looking at a failed turn)
      answer: (calls, text) => ({
        calls: calls.map((c) => ({ name: c.name, arguments: c.arguments })),
        ...(text.trim() ? { text: text.trim() } : {}),
      }),
      repair: 'Make the corrected calls with your tools.',
    }),
  },
  input: Input,
  output: Output,
  accept: (answer, input) => {
    const calls = toPlannedCalls(input, answer);
    return typeof calls === 'string' ? { ok: false, error: calls } : { ok: true, value: calls };
  },
  offline: (input, seed) => offlineForthTranslate(turnContext(input, seed), input.query),
});
