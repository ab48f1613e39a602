/**
 * How magnet talks to any LLM: the system message starts with `magnet-role: <role>@<version>`, and the
 * last user message ends with the task input as a fenced JSON block. The answer is one JSON object
 * (provider JSON mode). Keeping the input machine-readable makes prompts precise for real models and
 * lets test servers script answers without parsing prose.
 */
import { LLM_ROLES, type LlmRole } from '../core/config';

export type Role = LlmRole;

export function roleLine(role: Role, version: number): string {
  return `magnet-role: ${role}@${version}`;
}

export function parseRoleLine(system: string): { role: Role; version: number } | undefined {
  const m = /^magnet-role: ([a-z_]+)@(\d+)/m.exec(system);
  if (!m || !(LLM_ROLES as readonly string[]).includes(m[1] as string)) return undefined;
  return { role: m[1] as Role, version: Number(m[2]) };
}

export function inputBlock(input: unknown): string {
  return `\n\nInput:\n\`\`\`json\n${JSON.stringify(input)}\n\`\`\``;
}

/** The task input of a magnet prompt (the last fenced JSON block). */
export function parseInputBlock(text: string): unknown {
  const blocks = [...text.matchAll(/```json\n([\s\S]*?)\n```/g)];
  const last = blocks[blocks.length - 1];
  if (!last?.[1]) return undefined;
  return JSON.parse(last[1]) as unknown;
}
