import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { ToolError, type Json } from '../types';

/** Text of a result's text items, in order. */
function texts(result: CallToolResult): string[] {
  return (result.content ?? []).flatMap((c) => (c.type === 'text' ? [c.text] : []));
}

function parseJson(text: string): Json | undefined {
  const t = text.trim();
  if (!/^[[{]/.test(t)) return undefined;
  try {
    return JSON.parse(t) as Json;
  } catch {
    return undefined;
  }
}

/**
 * A tool result as the call's output: `structuredContent` when the server gives it (it follows the tool's
 * output schema); else the text, read as JSON when it is a JSON object, so its fields can feed later calls;
 * anything else wrapped as `{"result": ...}` (outputs are objects, the graph reads their fields).
 * Non-text items (images, audio, resources) are described by type and MIME type, not copied.
 * A result the tool marks `isError` is a ToolError with its text.
 */
export function toolOutput(result: CallToolResult): Json {
  const text = texts(result).join('\n');
  if (result.isError) throw new ToolError(text.trim() || 'the tool reported an error without a message');
  if (result.structuredContent) return result.structuredContent as Json;
  const items = result.content ?? [];
  if (items.length === 0) return { result: null };
  if (items.every((c) => c.type === 'text')) {
    const json = parseJson(text);
    if (json && typeof json === 'object' && !Array.isArray(json)) return json;
    return { result: json ?? text };
  }
  return {
    result: items.map((c): Json =>
      c.type === 'text'
        ? c.text
        : {
            type: c.type,
            ...('mimeType' in c && typeof c.mimeType === 'string' ? { mimeType: c.mimeType } : {}),
          },
    ),
  };
}
