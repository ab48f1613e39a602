import type { ConversationRecord } from '../core/conversation';
import type { FunctionDef } from '../core/pool';
import { SYSTEM_PROMPT, turnMessages, type Message, type OpenAITool } from './openai';
import { turnTools } from './rows';

/**
 * A line of OpenAI's preference (DPO) fine-tuning format. Its outputs are single assistant messages, so a
 * MAGNET pair (whole turns that may share their first steps) becomes: the shared steps appended to the
 * input, then the first assistant message where the chosen and rejected turns part.
 */
export interface OpenAIPreferenceExample {
  input: { messages: Message[]; tools: OpenAITool[]; parallel_tool_calls: boolean };
  preferred_output: Message[];
  non_preferred_output: Message[];
}

const same = (a: Message | undefined, b: Message | undefined): boolean =>
  JSON.stringify(a) === JSON.stringify(b);
const parallel = (ms: readonly Message[]): boolean =>
  ms.some((m) => m.role === 'assistant' && (m.tool_calls?.length ?? 0) > 1);

export function toOpenAIPreference(
  rec: ConversationRecord,
  pool: ReadonlyMap<string, FunctionDef>,
): { turn: number; example: OpenAIPreferenceExample }[] {
  const out: { turn: number; example: OpenAIPreferenceExample }[] = [];
  const history: Message[] = [{ role: 'system', content: SYSTEM_PROMPT }];
  for (const turn of rec.turns) {
    history.push({ role: 'user', content: turn.query });
    const chosen = turnMessages(turn.calls, turn.assistant).messages;
    // the tools offered at the pair's turn (a function a later turn adds is not offered yet)
    const tools = turn.negatives.length ? turnTools(rec, turn.index, pool) : [];
    for (const neg of turn.negatives) {
      const rejected = turnMessages(neg.calls, neg.assistant).messages;
      let k = 0;
      while (k < chosen.length && same(chosen[k], rejected[k])) k++;
      const preferred = chosen[k];
      const other = rejected[k];
      // identical turns teach nothing; a fork at a tool result would need a tool message as output
      if (preferred?.role !== 'assistant' || other?.role !== 'assistant') continue;
      const messages = [...history, ...chosen.slice(0, k)];
      out.push({
        turn: turn.index,
        example: {
          input: { messages, tools, parallel_tool_calls: parallel([...messages, preferred, other]) },
          preferred_output: [preferred],
          non_preferred_output: [other],
        },
      });
    }
    history.push(...chosen);
  }
  return out;
}
