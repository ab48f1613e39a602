import { arrayItems, type JsonSchemaT } from '../../core/pool';

/**
 * The JSON schema of a value (types and object fields, array items from the first item): the output schema
 * of a tool that declares none, inferred from one real output. It claims no more than one sample shows: no
 * required fields, numbers as `number`, nothing said of a null (the next output may have a value there).
 */
export function schemaOfValue(value: unknown): JsonSchemaT {
  if (value === null) return {};
  if (Array.isArray(value))
    return value.length ? { type: 'array', items: schemaOfValue(value[0]) } : { type: 'array' };
  if (typeof value === 'object') {
    const properties: Record<string, JsonSchemaT> = {};
    for (const [k, v] of Object.entries(value)) properties[k] = schemaOfValue(v);
    return { type: 'object', properties };
  }
  if (typeof value === 'number') return { type: 'number' };
  return { type: typeof value };
}

/**
 * The smallest arguments a schema accepts, for a sample call: required fields only, each its default, first
 * enum value, example, or a plain value of its type. A tool may still reject them; then no schema is inferred.
 */
export function sampleValue(schema: JsonSchemaT): unknown {
  if (schema.default !== undefined) return schema.default;
  if (schema.enum?.length) return schema.enum[0];
  const examples = schema.examples;
  if (Array.isArray(examples) && examples.length) return examples[0];
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const k of schema.required ?? []) out[k] = sampleValue(schema.properties?.[k] ?? {});
      return out;
    }
    case 'array': {
      const min = typeof schema.minItems === 'number' ? schema.minItems : 0;
      const { tuple, each } = arrayItems(schema);
      if (tuple.length > 0) return tuple.map((s) => sampleValue(s));
      return Array.from({ length: min }, () => sampleValue(each ?? {}));
    }
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'boolean':
      return false;
    default:
      return 'example';
  }
}
