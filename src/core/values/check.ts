import type { JsonSchemaT } from '../pool';
import { validatorFor } from '../schema-check';

/**
 * Whether a drawn value conforms to its schema (enum members, examples, defaults and quoted description
 * examples are only used when they do, and so is a value written by the format, pattern or name rules),
 * checked by the validators arguments and outputs are checked with (core/schema-check), formats included. A
 * schema Ajv cannot compile (an unresolved `$ref`) cannot be checked, and every value passes.
 */
export function conforms(schema: JsonSchemaT, value: unknown): boolean {
  if (value === undefined) return false;
  let validate;
  try {
    validate = validatorFor(schema);
  } catch {
    return true;
  }
  return validate(value) === true;
}
