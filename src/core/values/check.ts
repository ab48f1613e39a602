import Ajv, { type ValidateFunction } from 'ajv';
import Ajv2020 from 'ajv/dist/2020';
import type { JsonSchemaT } from '../pool';

/**
 * Whether a drawn value conforms to its schema (enum members, examples, defaults and quoted description
 * examples are only used when they do). Ajv checks it, with instances of our own rather than core/schema-check's
 * shared ones: those are also tools/validators' compilers and validate `format`, which Ajv cannot do without
 * plugins and so warns about on every compile; here formats are not checked (the format rules below write
 * well-formed values themselves). Validators are cached by schema text, bounded, and Ajv forgets each schema
 * once compiled (as tools/validators does: schemas arrive as fresh objects). A schema Ajv cannot compile (an
 * unresolved `$ref`) cannot be checked, and every value passes.
 */
const options = { strict: false, allErrors: false, validateFormats: false } as const;
const draft7 = new Ajv(options);
const draft2020 = new Ajv2020(options);
const DRAFT_2020 = /json-schema\.org\/draft\/2020-12\/schema/;

const compiled = new Map<string, ValidateFunction | null>();
const LIMIT = 5_000;

function validatorOf(schema: JsonSchemaT): ValidateFunction | null {
  const key = JSON.stringify(schema);
  const hit = compiled.get(key);
  if (hit !== undefined) return hit;
  const ajv = typeof schema.$schema === 'string' && DRAFT_2020.test(schema.$schema) ? draft2020 : draft7;
  let validate: ValidateFunction | null;
  try {
    validate = ajv.compile(schema);
  } catch {
    validate = null;
  }
  ajv.removeSchema(schema);
  if (compiled.size >= LIMIT) compiled.delete(compiled.keys().next().value as string);
  compiled.set(key, validate);
  return validate;
}

export function conforms(schema: JsonSchemaT, value: unknown): boolean {
  if (value === undefined) return false;
  const validate = validatorOf(schema);
  return validate === null || validate(value) === true;
}
