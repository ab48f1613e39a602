/**
 * The order of a task's keys in its prompt, so that a role's requests share their prefix: providers serve a
 * repeated prompt prefix from their cache at a discount (OpenAI from 1,024 tokens, Gemini 2.5 implicit
 * caching), and a prefix ends at the first character that differs. After the system message (the role's
 * fixed instructions), the task's JSON starts with what stays the same over a conversation (the tools a
 * student sees), then what only grows from turn to turn (the earlier calls, then the earlier queries: the
 * next turn's request repeats them and adds), and ends with the turn's own specifics, in the task's order.
 * Keys only move: the task says the same, so the roles' offline rules and the fakes read it alike.
 */
export const SHARED_FIRST = ['tools', 'history', 'previousQueries'] as const;

/** The task with its shared keys first (a copy; anything but a plain object is returned as is). */
export function sharedFirst(task: unknown): unknown {
  if (!task || typeof task !== 'object' || Array.isArray(task)) return task;
  const given = task as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of SHARED_FIRST) if (k in given) out[k] = given[k];
  for (const [k, v] of Object.entries(given)) if (!(k in out)) out[k] = v;
  return out;
}
