import {
  callSteps,
  type AssistantTurn,
  type ConversationRecord,
  type ExecutedCall,
} from '../core/conversation';
import { toOpenAITool, type FunctionDef } from '../core/pool';

export const SYSTEM_PROMPT =
  'You are a helpful assistant with access to tools. Call tools when they are needed, use earlier results ' +
  'instead of asking again, and say so when a request cannot be done with the available tools or lacks a value.';

export type Message =
  | { role: 'system' | 'user'; content: string }
  | {
      role: 'assistant';
      content: string | null;
      tool_calls?: { id: string; type: 'function'; function: { name: string; arguments: string } }[];
    }
  | { role: 'tool'; tool_call_id: string; content: string };

export type OpenAITool = ReturnType<typeof toOpenAITool>;

/** A line of OpenAI's fine-tuning chat format: these three keys and no other (OpenAI rejects extra keys). */
export interface OpenAIChatExample {
  messages: Message[];
  tools: OpenAITool[];
  parallel_tool_calls: boolean;
}

/**
 * Where an exported line came from, written to a sidecar file (`<file>.provenance.jsonl`, line N for line
 * N) because the training formats have no room for it. Offline lines are placeholders, not training data.
 */
export interface LineProvenance {
  line: number;
  id: string;
  turn?: number;
  backend: string;
  generator: string;
  models: Record<string, string>;
  seed: number;
  labels: string[][];
  note?: string;
}

export function provenanceOf(rec: ConversationRecord, line: number, turn?: number): LineProvenance {
  return {
    line,
    id: rec.id,
    ...(turn !== undefined ? { turn } : {}),
    backend: rec.provenance.backend,
    generator: rec.provenance.generator,
    models: rec.provenance.models,
    seed: rec.provenance.seed,
    labels: turn !== undefined ? [rec.turns[turn]?.labels ?? []] : rec.turns.map((t) => t.labels),
    ...(rec.provenance.note !== undefined ? { note: rec.provenance.note } : {}),
  };
}

/** The assistant side of one turn: each step of calls with its results, then the final answer. */
export function turnMessages(
  calls: readonly ExecutedCall[],
  assistant: AssistantTurn,
): { messages: Message[]; parallel: boolean } {
  const messages: Message[] = [];
  let parallel = false;
  callSteps(calls).forEach((step, k) => {
    if (step.length > 1) parallel = true;
    messages.push({
      role: 'assistant',
      content: assistant.steps[k] ?? null,
      tool_calls: step.map((c) => ({
        id: c.id,
        type: 'function',
        function: { name: c.name, arguments: JSON.stringify(c.arguments) },
      })),
    });
    for (const c of step) {
      messages.push({
        role: 'tool',
        tool_call_id: c.id,
        content: JSON.stringify(c.error ? { error: c.error } : c.output),
      });
    }
  });
  messages.push({ role: 'assistant', content: assistant.final });
  return { messages, parallel };
}

export function toolsOf(rec: ConversationRecord, pool: ReadonlyMap<string, FunctionDef>): OpenAITool[] {
  return rec.tools.map((n) => {
    const def = pool.get(n);
    if (!def) throw new Error(`${rec.id}: tool ${n} is not in the pool`);
    return toOpenAITool(def);
  });
}

/** OpenAI fine-tuning chat format: one example per conversation, tool calls and results in order. */
export function toOpenAIChat(
  rec: ConversationRecord,
  pool: ReadonlyMap<string, FunctionDef>,
): OpenAIChatExample {
  const messages: Message[] = [{ role: 'system', content: SYSTEM_PROMPT }];
  let parallel = false;
  for (const turn of rec.turns) {
    messages.push({ role: 'user', content: turn.query });
    const t = turnMessages(turn.calls, turn.assistant);
    messages.push(...t.messages);
    parallel ||= t.parallel;
  }
  return { messages, tools: toolsOf(rec, pool), parallel_tool_calls: parallel };
}
