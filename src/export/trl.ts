import type { ConversationRecord } from '../core/conversation';
import type { FunctionDef } from '../core/pool';
import { toDpoPairs } from './dpo';
import { toOpenAIChat, type Message, type OpenAITool } from './openai';

/**
 * TRL's conversational formats (also what Axolotl's chat_template datasets read): messages as in chat
 * templates, where tool-call arguments are objects, not JSON text; `tools` as JSON schemas.
 */
export type TrlMessage =
  | { role: 'system' | 'user'; content: string }
  | {
      role: 'assistant';
      content: string | null;
      tool_calls?: {
        id: string;
        type: 'function';
        function: { name: string; arguments: Record<string, unknown> };
      }[];
    }
  | { role: 'tool'; tool_call_id: string; name: string; content: string };

export interface TrlSftExample {
  messages: TrlMessage[];
  tools: OpenAITool[];
}

export interface TrlDpoExample {
  prompt: TrlMessage[];
  chosen: TrlMessage[];
  rejected: TrlMessage[];
  tools: OpenAITool[];
}

/** Chat templates name the function a tool message answers; OpenAI's format only links it by id. */
function toTrl(messages: readonly Message[]): TrlMessage[] {
  const names = new Map<string, string>();
  return messages.map((m): TrlMessage => {
    if (m.role === 'assistant' && m.tool_calls) {
      return {
        role: 'assistant',
        content: m.content,
        tool_calls: m.tool_calls.map((c) => {
          names.set(c.id, c.function.name);
          return {
            id: c.id,
            type: 'function',
            function: {
              name: c.function.name,
              arguments: JSON.parse(c.function.arguments) as Record<string, unknown>,
            },
          };
        }),
      };
    }
    if (m.role === 'tool') return { ...m, name: names.get(m.tool_call_id) ?? '' };
    if (m.role === 'assistant') return { role: 'assistant', content: m.content };
    return m;
  });
}

export function toTrlSft(rec: ConversationRecord, pool: ReadonlyMap<string, FunctionDef>): TrlSftExample {
  const chat = toOpenAIChat(rec, pool);
  return { messages: toTrl(chat.messages), tools: chat.tools };
}

export function toTrlDpo(
  rec: ConversationRecord,
  pool: ReadonlyMap<string, FunctionDef>,
): { turn: number; example: TrlDpoExample }[] {
  return toDpoPairs(rec, pool).map((p) => {
    // prompt and answers are converted together so a tool message's name resolves across the boundary
    const all = toTrl([...p.prompt, ...p.chosen]);
    const rejected = toTrl([...p.prompt, ...p.rejected]).slice(p.prompt.length);
    return {
      turn: p.metadata.turn,
      example: {
        prompt: all.slice(0, p.prompt.length),
        chosen: all.slice(p.prompt.length),
        rejected,
        tools: p.tools,
      },
    };
  });
}
