import { callSteps, type ConversationRecord } from '../core/conversation';
import type { FunctionDef } from '../core/pool';
import { SYSTEM_PROMPT, toolsOf } from './openai';

/**
 * LLaMA-Factory's ShareGPT format. LLaMA-Factory (data/converter.py, SharegptDatasetConverter) drops an
 * example unless, after the system prompt, messages alternate: human or observation at even indexes
 * (0, 2, ...), gpt or function_call at odd ones, and their number is even. A MAGNET turn maps onto that as
 * human, then per step of calls one function_call (parallel calls packed as a JSON list) and one
 * observation (the results, a JSON list when the step had several calls), then gpt.
 */
export type ShareGptRole = 'human' | 'gpt' | 'function_call' | 'observation';

export interface ShareGptExample {
  conversations: { from: ShareGptRole; value: string }[];
  system: string;
  /** A JSON string: LLaMA-Factory reads tools as text and parses it itself. */
  tools: string;
}

function result(c: { output: unknown; error?: string }): unknown {
  return c.error ? { error: c.error } : c.output;
}

export function toShareGpt(rec: ConversationRecord, pool: ReadonlyMap<string, FunctionDef>): ShareGptExample {
  const conversations: ShareGptExample['conversations'] = [];
  for (const turn of rec.turns) {
    conversations.push({ from: 'human', value: turn.query });
    for (const step of callSteps(turn.calls)) {
      const calls = step.map((c) => ({ name: c.name, arguments: c.arguments }));
      conversations.push({
        from: 'function_call',
        value: JSON.stringify(calls.length === 1 ? calls[0] : calls),
      });
      const results = step.map(result);
      conversations.push({
        from: 'observation',
        value: JSON.stringify(results.length === 1 ? results[0] : results),
      });
    }
    conversations.push({ from: 'gpt', value: turn.assistant.final });
  }
  // LLaMA-Factory wants the function objects themselves, not OpenAI's {type, function} wrapper
  const tools = toolsOf(rec, pool).map((t) => t.function);
  return { conversations, system: SYSTEM_PROMPT, tools: JSON.stringify(tools) };
}

/** The entry `dataset_info.json` needs for LLaMA-Factory to read `file` as above. */
export function shareGptDatasetInfo(name: string, file: string): Record<string, unknown> {
  return {
    [name]: {
      file_name: file,
      formatting: 'sharegpt',
      columns: { messages: 'conversations', system: 'system', tools: 'tools' },
      tags: {
        role_tag: 'from',
        content_tag: 'value',
        user_tag: 'human',
        assistant_tag: 'gpt',
        observation_tag: 'observation',
        function_tag: 'function_call',
        system_tag: 'system',
      },
    },
  };
}
