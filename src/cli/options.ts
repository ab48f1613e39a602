import { Option } from 'commander';
import { z } from 'zod';
import { LLM_ROLES } from '../core/config';
import { ConfigError } from '../io/config-file';
import { overrideProblem } from '../contracts';

/**
 * Typed command-line options. A bad value is a ConfigError naming the flag: commander passes errors other
 * than its own through, so they reach the one-line `error: ...` of the bin like every other input error.
 */

export const positiveInt = z
  .string()
  .regex(/^[1-9]\d*$/, 'expected a positive integer')
  .transform(Number);
export const nonNegativeInt = z.string().regex(/^\d+$/, 'expected an integer >= 0').transform(Number);

function parsed<T>(flag: string, schema: z.ZodType<T, string>, value: string): T {
  const r = schema.safeParse(value);
  if (!r.success)
    throw new ConfigError(`${flag}: ${r.error.issues[0]?.message ?? 'invalid'} (got "${value}")`);
  return r.data;
}

/** An option whose value must match `schema`, e.g. `typedOption('--turn <n>', 'turn', positiveInt)`. */
export function typedOption<T>(flags: string, description: string, schema: z.ZodType<T, string>): Option {
  const option = new Option(flags, description);
  return option.argParser((value: string) => parsed(option.long ?? flags, schema, value));
}

/** An option that may be given several times; its value is the list. */
export function repeatableOption(flags: string, description: string): Option {
  return new Option(flags, description).argParser((value: string, previous: string[] | undefined) => [
    ...(previous ?? []),
    value,
  ]);
}

/**
 * `--set role.field=value` (repeatable), checked the way the conversation's retry validator checks it, so
 * a typo fails here before anything is sent.
 */
export function setOption(what = 'for the retried step and what follows'): Option {
  return new Option(
    '--set <role.field=value>',
    `override a role's model, temperature or maxTokens ${what} (repeatable; roles: ${LLM_ROLES.join(', ')}, or * for every role)`,
  ).argParser((value: string, previous: Record<string, string> | undefined) => {
    const eq = value.indexOf('=');
    if (eq < 0) throw new ConfigError(`--set ${value}: expected <role>.<field>=<value>`);
    const key = value.slice(0, eq);
    const problem = overrideProblem(key, value.slice(eq + 1), LLM_ROLES);
    if (problem) throw new ConfigError(`--set: ${problem}`);
    return { ...previous, [key]: value.slice(eq + 1) };
  });
}
