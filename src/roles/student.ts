import { z } from 'zod';
import { toolSpecs } from '../llm/tools';
import { FnLite, HistoryCall, LooseCall } from './common';
import { defineRole } from './spec';

const INSTRUCTIONS = `You are a tool-using assistant. Answer the user's latest message: decide which of the available tools to call and with which arguments, using earlier messages and earlier tool results where they hold the values.`;

const Output = z.object({ calls: z.array(LooseCall), final: z.string().optional() });
export type StudentAnswer = z.infer<typeof Output>;

/**
 * One sample of the student model answering a turn as it would at inference time: it sees the
 * conversation's tools, never the reference. Students hallucinate too: an unknown tool is a legitimate
 * error to learn from, so only the shape is checked.
 */
export const student = defineRole({
  name: 'student',
  // 2: the task's shared parts first (roles/layout.ts); 3: tools mode (native tool calls)
  version: 3,
  system: `${INSTRUCTIONS} If no tool can do it, or a required value is unknown, call nothing and say so in "final".
Answer with JSON: {"calls": [{"name": "<tool>", "arguments": {...}}], "final": "<what you tell the user>"}.`,
  toolsMode: {
    system: `${INSTRUCTIONS} Make the calls with your tools, all in this one answer. If no tool can do it, or a required value is unknown, call nothing and say so to the user.`,
    tools: (input) => ({
      specs: toolSpecs(input.tools),
      answer: (calls, text) => ({
        calls: calls.map((c) => ({ name: c.name, arguments: c.arguments })),
        ...(text.trim() ? { final: text.trim() } : {}),
      }),
      repair: 'Answer again, with the corrected tool calls.',
    }),
  },
  input: z.object({
    turnIndex: z.number().int(),
    query: z.string(),
    previousQueries: z.array(z.string()),
    history: z.array(HistoryCall),
    tools: z.array(FnLite),
    /** Which of the n samples this is (samples differ; each is cached on its own). */
    sample: z.number().int(),
  }),
  output: Output,
  accept: (answer) => ({ ok: true, value: answer }),
});
