import type { JsonSchemaT } from '../pool';

/**
 * The one schema a value is drawn for. A nullable parameter (`type: ["string", "null"]`, an `anyOf`/`oneOf`
 * with a null branch) takes its first non-null branch: a user states a value, not the absence of one, and the
 * first branch is the one the schema's author lists as the usual case. `allOf` parts are merged shallowly
 * (properties and required joined), enough for the "base object plus extra fields" schemas tool files write.
 */
export function branchOf(schema: JsonSchemaT): JsonSchemaT {
  let s = schema;
  if (Array.isArray(s.allOf) && s.allOf.length > 0) {
    const { allOf, ...rest } = s;
    s = (allOf as JsonSchemaT[]).reduce<JsonSchemaT>((acc, part) => merge(acc, branchOf(part)), rest);
  }
  for (const key of ['anyOf', 'oneOf'] as const) {
    const branches = s[key];
    if (!Array.isArray(branches) || branches.length === 0) continue;
    const list = branches as JsonSchemaT[];
    const chosen = list.find((b) => !isNullSchema(b)) ?? (list[0] as JsonSchemaT);
    const { [key]: _dropped, ...rest } = s;
    s = merge(rest, branchOf(chosen));
  }
  return s;
}

function merge(a: JsonSchemaT, b: JsonSchemaT): JsonSchemaT {
  const out: JsonSchemaT = { ...a, ...b };
  if (a.properties || b.properties) out.properties = { ...a.properties, ...b.properties };
  if (a.required || b.required) out.required = [...new Set([...(a.required ?? []), ...(b.required ?? [])])];
  return out;
}

function isNullSchema(s: JsonSchemaT): boolean {
  return s.type === 'null' || (s.const === null && s.type === undefined);
}

/** The type a value is drawn as: the first non-null of a type list, else what the keywords imply. */
export function typeOf(s: JsonSchemaT): string | undefined {
  if (Array.isArray(s.type)) return s.type.find((t) => t !== 'null') ?? s.type[0];
  if (typeof s.type === 'string') return s.type;
  if (s.properties) return 'object';
  if (s.items !== undefined || s.prefixItems !== undefined) return 'array';
  return undefined;
}

/** A numeric keyword, or undefined when absent or not a number. */
export function num(s: JsonSchemaT, key: string): number | undefined {
  const v = s[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
