import { z } from 'zod';
import { FnLite, HistoryCall, LooseCall } from './common';
import { defineRole } from './spec';

const Output = z.object({ calls: z.array(LooseCall), final: z.string().optional() });
export type StudentAnswer = z.infer<typeof Output>;

/**
 * One sample of the student model answering a turn as it would at inference time: it sees the
 * conversation's tools, never the reference. Students hallucinate too: an unknown tool is a legitimate
 * error to learn from, so only the shape is checked.
 */
export const student = defineRole({
  name: 'student',
  // 2: the task's shared parts first (roles/layout.ts)
  version: 2,
  system: `You are a tool-using assistant. Answer the user's latest message: decide which of the available tools to call and with which arguments, using earlier messages and earlier tool results where they hold the values. If no tool can do it, or a required value is unknown, call nothing and say so in "final".
Answer with JSON: {"calls": [{"name": "<tool>", "arguments": {...}}], "final": "<what you tell the user>"}.`,
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
