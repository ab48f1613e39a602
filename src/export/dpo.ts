import type { ConversationRecord } from '../core/conversation';
import type { FunctionDef } from '../core/pool';
import { SYSTEM_PROMPT, turnMessages, type Message, type OpenAITool } from './openai';
import { turnTools } from './rows';

/**
 * Multi-turn DPO pairs in TRL's conversational preference format: the prompt is the conversation up to a
 * turn's user message (earlier turns answered correctly), `chosen` is the teacher's turn, `rejected` a
 * negative trajectory for the same turn.
 */
export interface DpoPair {
  prompt: Message[];
  chosen: Message[];
  rejected: Message[];
  tools: OpenAITool[];
  metadata: { id: string; turn: number; sample: number; errors: string[]; labels: string[]; backend: string };
}

export function toDpoPairs(rec: ConversationRecord, pool: ReadonlyMap<string, FunctionDef>): DpoPair[] {
  const pairs: DpoPair[] = [];
  const history: Message[] = [{ role: 'system', content: SYSTEM_PROMPT }];
  for (const turn of rec.turns) {
    history.push({ role: 'user', content: turn.query });
    const chosen = turnMessages(turn.calls, turn.assistant).messages;
    // the tools offered at the pair's turn (a function a later turn adds is not offered yet)
    const tools = turn.negatives.length ? turnTools(rec, turn.index, pool) : [];
    for (const neg of turn.negatives) {
      pairs.push({
        prompt: history.slice(),
        chosen,
        rejected: turnMessages(neg.calls, neg.assistant).messages,
        tools,
        metadata: {
          id: rec.id,
          turn: turn.index,
          sample: neg.sample,
          errors: neg.errors.map((e) => e.type),
          labels: turn.labels,
          backend: rec.provenance.backend,
        },
      });
    }
    history.push(...chosen);
  }
  return pairs;
}
