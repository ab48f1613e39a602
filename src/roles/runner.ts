import { z } from 'zod';
import type { LlmRole, ResolvedRole } from '../core/config';
import { completeJson, NO_USAGE, type Prompt, type Usage } from '../llm/request';
import type { AnswerSchema } from '../llm/providers';
import { inputBlock } from '../llm/protocol';
import { sharedFirst } from './layout';
import type { RoleSpec } from './spec';

/** Answer schemas by output schema, computed once (null: zod cannot express it in JSON Schema). */
const answerSchemas = new WeakMap<z.ZodType, Record<string, unknown> | null>();

/**
 * A role's answer schema as JSON Schema, for providers that constrain answers to it: what the role's zod
 * schema produces when it parses (`io: 'output'`: zod's objects drop unknown keys, so additionalProperties
 * is false, and a field with a default is required), else, for a schema with transforms, what it accepts
 * (`io: 'input'`). Every answer it allows is one the role's schema accepts. A schema zod cannot express
 * (a date, a custom check only) gives none: that role asks for a JSON object, as before.
 */
export function answerSchemaOf(name: string, output: z.ZodType): AnswerSchema | undefined {
  let found = answerSchemas.get(output);
  if (found === undefined) {
    found = null;
    for (const io of ['output', 'input'] as const) {
      try {
        const { $schema: _, ...schema } = z.toJSONSchema(output, { io, unrepresentable: 'throw' });
        found = schema;
        break;
      } catch {
        // not expressible this way
      }
    }
    answerSchemas.set(output, found);
  }
  return found ? { name, schema: found } : undefined;
}

/**
 * A role's request for a task: the task goes as a JSON block, so real models and fakes read it alike. In
 * tools mode (`tools`, a role that has one) the request carries the task's tools and no answer schema.
 */
export function promptFor(
  spec: RoleSpec<LlmRole, z.ZodType, z.ZodType, unknown>,
  input: unknown,
  tools = false,
): Prompt {
  const user = inputBlock(sharedFirst(input)).trim();
  if (tools && spec.toolsMode)
    return { version: spec.version, system: spec.toolsMode.system, user, tools: spec.toolsMode.tools(input) };
  const answerSchema = answerSchemaOf(spec.name, spec.output);
  return {
    version: spec.version,
    system: spec.system,
    user,
    ...(answerSchema ? { answerSchema } : {}),
  };
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
  return completeJson(r, promptFor(spec, input, r.mode === 'tools'), (data) => {
    const answer = spec.output.safeParse(data);
    return answer.success ? spec.accept(answer.data, input) : { ok: false, error: firstIssue(answer.error) };
  });
}
