import type { z } from 'zod';
import type { LlmRole } from '../core/config';
import type { Checked } from '../llm/request';
import type { PromptTools } from '../llm/tools';

/**
 * What makes an LLM role: its prompt (name, version, system text), the JSON it is given and must answer
 * (zod schemas), the checks that decide whether an answer is repaired, and the offline backend's rules.
 * The version is part of the cache key: bump it when the wording changes so old answers are not reused.
 */
export interface RoleSpec<N extends LlmRole, I extends z.ZodType, O extends z.ZodType, R> {
  readonly name: N;
  readonly version: number;
  readonly system: string;
  readonly input: I;
  readonly output: O;
  /**
   * Checks a schema-valid answer against its task and turns it into the role's result; a problem is
   * quoted in the one repair request. (Method syntax: the registry holds roles of every input type.)
   */
  accept(answer: z.output<O>, input: z.output<I>): Checked<R>;
  /**
   * Tools mode (a role that writes tool calls, `mode: "tools"`): its system text then, the tools of a task
   * and how an answer's tool calls become its answer (the output schema's shape), checked by `accept`.
   */
  readonly toolsMode?: { system: string; tools(input: z.output<I>): PromptTools };
  /** The offline backend's rule-based result; `seed` is the conversation's, so a user's values stay put. */
  offline?(input: z.output<I>, seed: number): R;
}

export function defineRole<N extends LlmRole, I extends z.ZodType, O extends z.ZodType, R>(
  spec: RoleSpec<N, I, O, R>,
): RoleSpec<N, I, O, R> {
  return spec;
}

/** The answer is the result unless `problem` says what is wrong with it. */
export function unless<T>(problem: string | undefined, value: T): Checked<T> {
  return problem ? { ok: false, error: problem } : { ok: true, value };
}
