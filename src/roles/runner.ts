import type { z } from 'zod';
import type { LlmRole, ResolvedRole } from '../core/config';
import { completeJson, NO_USAGE, type Prompt, type Usage } from '../llm/request';
import { inputBlock } from '../llm/protocol';
import type { RoleSpec } from './spec';

/** A role's request for a task: the task goes as a JSON block, so real models and fakes read it alike. */
export function promptFor(spec: RoleSpec<LlmRole, z.ZodType, z.ZodType, unknown>, input: unknown): Prompt {
  return { version: spec.version, system: spec.system, user: inputBlock(input).trim() };
}

function firstIssue(error: z.ZodError): string {
  const i = error.issues[0];
  return `field ${i?.path.join('.') || '(root)'}: ${i?.message}`;
}

/**
 * Runs a role on a task: the offline backend's rules, or the configured model with its answer checked
 * (schema, then the role's own checks) and repaired once. The prompt shows the task exactly as given:
 * the parsed copy may order keys differently, which would change cache keys.
 */
export async function runRole<N extends LlmRole, I extends z.ZodType, O extends z.ZodType, R>(
  r: ResolvedRole,
  spec: RoleSpec<N, I, O, R>,
  input: z.output<I>,
  /** The conversation's seed, for offline rules that pick values (none for the graph judges). */
  seed = 0,
): Promise<{ value: R; usage: Usage }> {
  if (r.role !== spec.name) throw new Error(`role ${r.role} cannot run the ${spec.name} prompt`);
  const valid = spec.input.safeParse(input);
  if (!valid.success) throw new Error(`${spec.name}: invalid task, ${firstIssue(valid.error)}`);
  if (r.provider === 'offline') {
    if (!spec.offline) throw new Error(`${spec.name} has no offline backend: configure a model for it`);
    return { value: spec.offline(input, seed), usage: NO_USAGE };
  }
  return completeJson(r, promptFor(spec, input), (data) => {
    const answer = spec.output.safeParse(data);
    return answer.success ? spec.accept(answer.data, input) : { ok: false, error: firstIssue(answer.error) };
  });
}
