import type { ValidateFunction } from 'ajv';
import { ajvFor } from '../core/schema-check';

/**
 * JSON Schema validators, compiled once per distinct schema text. Schemas reach us as fresh objects (every
 * activity input is deserialised anew, a role builds its schema per call), so a cache keyed by object misses
 * and Ajv's own cache, also keyed by object, kept every compiled copy for the life of the worker. Here the text
 * is the key, Ajv forgets the schema once compiled, and the cache is bounded (a pool's schemas fit; past the
 * bound the least recently used go first). A schema Ajv refuses is remembered too, with its error, so an
 * invalid schema in a pool costs one compile, not one per call.
 */
const compiled = new Map<string, ValidateFunction | Error>();
const LIMIT = 20_000;

/** The validator of `schema`; throws (Ajv's error) when it is not a valid JSON schema. */
export function validatorFor(schema: object): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (validate) {
    // most recently used last: eviction below drops the least recently used
    compiled.delete(key);
    compiled.set(key, validate);
  } else {
    // a schema that declares draft 2020-12 (prefixItems, $defs) is compiled by Ajv's 2020 class
    const compiler = ajvFor(schema);
    try {
      validate = compiler.compile(schema);
    } catch (e) {
      validate = e instanceof Error ? e : new Error(String(e));
    }
    compiler.removeSchema(schema);
    if (compiled.size >= LIMIT) compiled.delete(compiled.keys().next().value as string);
    compiled.set(key, validate);
  }
  if (validate instanceof Error) throw validate;
  return validate;
}
