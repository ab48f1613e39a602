import type { FunctionDef, JsonSchemaT } from './pool';

/**
 * A tool schema with its local `$ref`s replaced by what they point at: `#/$defs/Address` (draft 2020-12),
 * `#/definitions/Address` (draft-07), or any `#/...` pointer into the same schema. Whatever reads one
 * parameter's or one output field's schema on its own (the offline values, the simulator, the graph's
 * fields, a validator of one argument) would otherwise find a `$ref` it cannot resolve without the root, and
 * treat the parameter as a string of any shape.
 *
 * A `$ref` to what is already being expanded (a recursive schema: a tree node's `children`) stays a `$ref`,
 * and the root keeps its `$defs`/`definitions`, so Ajv still validates the whole schema exactly, as does each
 * top-level property holding such a `$ref` (a copy of them beside it, for a property read on its own); when
 * no `$ref` is left they are dropped (providers such as Gemini accept no `$ref`s). A `$ref`'s sibling keywords
 * (a `description` beside it) are kept over the target's. Values (`enum`, `const`, `default`, `examples`)
 * are data, never resolved. A schema whose expansion would grow past a bound is returned as it was.
 */
type Obj = Record<string, unknown>;

const DATA_KEYWORDS = new Set(['enum', 'const', 'default', 'examples', 'example']);
/** Keywords whose value maps names to schemas: a property may be called `default` or `$ref`. */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);
const DEFS_KEYWORDS = ['$defs', 'definitions'] as const;
/** Nodes an expansion may produce at the most (a schema of shared parts nested deep could explode). */
const MAX_NODES = 20_000;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** What a local JSON pointer (`#/$defs/A~1B`, percent-encoded as in a URI fragment) points at in `root`. */
function resolvePointer(root: unknown, ref: string): unknown {
  let fragment: string;
  try {
    fragment = decodeURIComponent(ref.slice(1));
  } catch {
    return undefined;
  }
  if (fragment === '') return root;
  if (!fragment.startsWith('/')) return undefined;
  let node: unknown = root;
  for (const raw of fragment.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node) && /^\d+$/.test(key)) node = node[Number(key)];
    else if (isObj(node) && Object.prototype.hasOwnProperty.call(node, key)) node = node[key];
    else return undefined;
  }
  return node;
}

/** Whether a schema holds a `$ref` (in a schema position: not inside a value such as a `default`). */
function hasRef(node: unknown, map = false): boolean {
  if (Array.isArray(node)) return node.some((n) => hasRef(n));
  if (!isObj(node)) return false;
  if (map) return Object.values(node).some((v) => hasRef(v));
  return Object.entries(node).some(
    ([k, v]) =>
      (k === '$ref' && typeof v === 'string') || (!DATA_KEYWORDS.has(k) && hasRef(v, SCHEMA_MAPS.has(k))),
  );
}

class TooBig extends Error {}

export function inlineLocalRefs<T extends JsonSchemaT>(schema: T): T {
  if (!JSON.stringify(schema).includes('"$ref"')) return schema;
  let nodes = 0;
  let kept = false;
  const walk = (node: unknown, expanding: readonly string[], map = false): unknown => {
    if (++nodes > MAX_NODES) throw new TooBig();
    if (Array.isArray(node)) return node.map((n) => walk(n, expanding));
    if (!isObj(node)) return node;
    if (map) return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, expanding)]));
    const ref = node.$ref;
    if (typeof ref === 'string' && ref.startsWith('#')) {
      const target = resolvePointer(schema, ref);
      if (target === undefined || expanding.includes(ref)) kept = true;
      else {
        const { $ref: _ref, ...siblings } = node;
        const resolved = walk(target, [...expanding, ref]);
        // a boolean schema (true/false) is what it is; siblings of a $ref to one add nothing we can merge
        return isObj(resolved) ? { ...resolved, ...(walk(siblings, expanding) as Obj) } : resolved;
      }
    }
    const out: Obj = {};
    for (const [k, v] of Object.entries(node)) {
      // the root's definitions are walked only through the $refs that reach them
      if (node === schema && (DEFS_KEYWORDS as readonly string[]).includes(k)) continue;
      out[k] = DATA_KEYWORDS.has(k) ? v : walk(v, expanding, SCHEMA_MAPS.has(k));
    }
    return out;
  };
  let out: Obj;
  try {
    out = walk(schema, []) as Obj;
  } catch (e) {
    if (e instanceof TooBig) return schema;
    throw e;
  }
  if (kept) {
    const defs = Object.fromEntries(DEFS_KEYWORDS.filter((k) => k in schema).map((k) => [k, schema[k]]));
    Object.assign(out, defs);
    // a parameter read on its own (its value drawn, validated) resolves its $refs against its own definitions
    if (isObj(out.properties))
      for (const [name, prop] of Object.entries(out.properties))
        if (isObj(prop) && hasRef(prop)) out.properties[name] = { ...prop, ...defs };
  }
  return out as T;
}

/** A function with the local `$ref`s of its parameters and output schema inlined (see inlineLocalRefs). */
export function withLocalRefsInlined(f: FunctionDef): FunctionDef {
  const parameters = inlineLocalRefs(f.parameters as JsonSchemaT) as FunctionDef['parameters'];
  const output = f.output ? inlineLocalRefs(f.output) : undefined;
  if (parameters === f.parameters && output === f.output) return f;
  return { ...f, parameters, ...(output ? { output } : {}) };
}
