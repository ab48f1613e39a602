import type { JsonSchemaT } from '../../core/pool';

/**
 * OpenAPI schema objects (3.0 and 3.1, `$ref`s already dereferenced by the parser) as the JSON schemas a
 * pool holds. Dereferencing a circular schema gives a cyclic object; pools are stored as JSON, so a cycle is
 * cut where it closes: the inner occurrence says which schema it repeats. What JSON schema does not know is
 * translated (`nullable`, `example`) or dropped (`xml`, `discriminator`, `x-` extensions); readOnly properties
 * leave request schemas and writeOnly ones leave responses. `allOf` of plain objects is merged into one object
 * (magnet finds output fields and required parameters in `properties`/`required`); other combinations are
 * kept as they are.
 */
export type SchemaMode = 'request' | 'response';

type Obj = Record<string, unknown>;

/** Nesting deeper than this is not expanded (a guard against huge documents; real schemas stay far below). */
const MAX_DEPTH = 24;

const DROPPED = new Set(['xml', 'externalDocs', 'discriminator', 'nullable', 'example', '$schema', '$id']);

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export class SchemaConverter {
  private readonly stack = new Set<object>();

  /** `names`: the document's component schemas by object, to name a schema where a cycle is cut. */
  constructor(private readonly names: ReadonlyMap<object, string>) {}

  convert(schema: unknown, mode: SchemaMode): JsonSchemaT {
    return this.visit(schema, mode, 0) as JsonSchemaT;
  }

  private visit(schema: unknown, mode: SchemaMode, depth: number): unknown {
    if (!isObj(schema)) return schema === true || schema === undefined ? {} : schema;
    const name = this.names.get(schema);
    if (this.stack.has(schema) || depth > MAX_DEPTH) {
      const what = name ? `a ${name}` : 'the enclosing schema';
      const type = typeof schema.type === 'string' ? { type: schema.type } : {};
      return { ...type, description: `${what} (recursive: same shape as above, not expanded again)` };
    }
    this.stack.add(schema);
    try {
      const out: Obj = {};
      for (const [k, v] of Object.entries(schema)) {
        if (DROPPED.has(k) || k.startsWith('x-') || k === '$ref') continue;
        if (k === 'properties' && isObj(v)) out.properties = this.properties(v, mode, depth);
        else if ((k === 'items' || k === 'not' || k === 'additionalProperties') && isObj(v))
          out[k] = this.visit(v, mode, depth + 1);
        else if ((k === 'allOf' || k === 'oneOf' || k === 'anyOf') && Array.isArray(v))
          out[k] = v.map((s) => this.visit(s, mode, depth + 1));
        else out[k] = v;
      }
      if (schema.example !== undefined && out.examples === undefined) out.examples = [schema.example];
      if (schema.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null'];
      if (Array.isArray(out.required) && isObj(out.properties)) {
        const props = out.properties;
        out.required = out.required.filter((r) => typeof r === 'string' && r in props);
        if ((out.required as string[]).length === 0) delete out.required;
      }
      return mergeAllOf(out);
    } finally {
      this.stack.delete(schema);
    }
  }

  private properties(props: Obj, mode: SchemaMode, depth: number): Obj {
    const out: Obj = {};
    for (const [name, s] of Object.entries(props)) {
      // a request does not send what the server sets (ids, timestamps); a response does not echo passwords
      if (isObj(s) && ((mode === 'request' && s.readOnly) || (mode === 'response' && s.writeOnly))) continue;
      out[name] = this.visit(s, mode, depth + 1);
    }
    return out;
  }
}

/** `{allOf: [objects...]}` (with nothing else that constrains) as one object schema; otherwise unchanged. */
function mergeAllOf(s: Obj): Obj {
  const parts = s.allOf;
  if (!Array.isArray(parts) || parts.length === 0) return s;
  const objectLike = (p: unknown): p is Obj =>
    isObj(p) &&
    (p.type === 'object' || (p.type === undefined && isObj(p.properties))) &&
    p.oneOf === undefined &&
    p.anyOf === undefined &&
    p.allOf === undefined &&
    p.not === undefined;
  if (!parts.every(objectLike)) return s;
  const rest: Obj = { ...s };
  delete rest.allOf;
  if (rest.type !== undefined && rest.type !== 'object') return s;
  const properties: Obj = { ...(isObj(rest.properties) ? rest.properties : {}) };
  const required = new Set<string>(Array.isArray(rest.required) ? (rest.required as string[]) : []);
  const merged: Obj = {};
  for (const p of parts) {
    for (const [k, v] of Object.entries(p)) {
      if (k === 'properties' && isObj(v)) Object.assign(properties, v);
      else if (k === 'required' && Array.isArray(v)) v.forEach((r) => required.add(String(r)));
      else if (k !== 'type' && merged[k] === undefined) merged[k] = v;
    }
  }
  const out: Obj = { ...merged, ...rest, type: 'object', properties };
  const req = [...required].filter((r) => r in properties);
  if (req.length) out.required = req;
  else delete out.required;
  return out;
}
