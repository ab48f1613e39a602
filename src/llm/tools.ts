import { sha256, stableStringify } from '../io/files';
import type { ProviderAnswer, ToolCall, ToolSpec } from './providers/provider';

/**
 * Native tool calls (a role's `mode: "tools"`): the turn's functions go to the provider as tools, and the
 * answer's tool calls are turned into the role's own answer (the JSON its JSON mode asks for), so that its
 * checks, its repair, the cache and everything downstream stay as they are.
 */

/** What a role in tools mode adds to its request: the tools, and how an answer's calls become its answer. */
export interface PromptTools {
  specs: ToolSpec[];
  /** The role's answer (its JSON mode's shape) from the answer's tool calls and its text. */
  answer(calls: ToolCall[], text: string): unknown;
  /** The request of the one repair, after the problem is quoted. */
  repair: string;
}

/** The arguments of a call as the provider wrote them (a JSON string): parsed, or the string when not JSON. */
export function parseArguments(raw: string | undefined): unknown {
  if (raw === undefined || raw.trim() === '') return {};
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

/**
 * Calls written in the text as `<tool_call>{"name": ..., "arguments": {...}}</tool_call>` (Hermes / Qwen chat
 * templates), as a server without a tool-call parser returns them (vLLM without `--tool-call-parser`,
 * llama.cpp without `--jinja`). None when the text has no such block.
 */
export function callsInText(text: string): ToolCall[] {
  const calls: ToolCall[] = [];
  for (const m of text.matchAll(/<tool_call>\s*([\s\S]*?)\s*<\/tool_call>/g)) {
    const call = parseArguments(m[1]) as { name?: unknown; arguments?: unknown } | string;
    if (call && typeof call === 'object' && typeof call.name === 'string')
      calls.push({
        name: call.name,
        arguments:
          typeof call.arguments === 'string' ? parseArguments(call.arguments) : (call.arguments ?? {}),
      });
  }
  return calls;
}

function isJsonObject(text: string): boolean {
  try {
    const v = JSON.parse(text.trim()) as unknown;
    return !!v && typeof v === 'object' && !Array.isArray(v);
  } catch {
    return false;
  }
}

/**
 * The text a tools-mode answer is checked and cached as: the role's answer built from its tool calls (or from
 * calls written in the text as `<tool_call>` blocks). An answer with no call whose text is already a JSON
 * object (a model that wrote its answer as JSON mode asks) is taken as it is.
 */
export function toolsAnswerText(tools: PromptTools, res: Pick<ProviderAnswer, 'text' | 'toolCalls'>): string {
  let calls = res.toolCalls ?? [];
  let text = res.text;
  if (calls.length === 0) {
    calls = callsInText(text);
    if (calls.length > 0) text = text.replace(/<tool_call>[\s\S]*?<\/tool_call>/g, '').trim();
    else if (isJsonObject(text)) return text;
  }
  return JSON.stringify(tools.answer(calls, text));
}

/** What the tools add to a request's cache key (a JSON-mode request adds nothing: its cached answers stay). */
export function toolsKey(tools: PromptTools | undefined): Record<string, string> {
  return tools ? { tools: sha256(stableStringify(tools.specs)).slice(0, 16) } : {};
}

/** The tools of a list of functions: each name once (a parallel turn lists a function once per call). */
export function toolSpecs(
  fns: readonly { name: string; description: string; parameters: Record<string, unknown> }[],
  parameters: (p: Record<string, unknown>) => Record<string, unknown> = (p) => p,
): ToolSpec[] {
  const seen = new Set<string>();
  const specs: ToolSpec[] = [];
  for (const f of fns) {
    if (seen.has(f.name)) continue;
    seen.add(f.name);
    specs.push({ name: f.name, description: f.description, parameters: parameters(f.parameters) });
  }
  return specs;
}
