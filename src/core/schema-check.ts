import Ajv from 'ajv';
import Ajv2020 from 'ajv/dist/2020';

/**
 * Whether a tool's schema is a JSON Schema at all, checked against the meta-schema it declares (draft 2020-12
 * when its `$schema` says so, else draft-07, what most tool files and MCP servers write). A pool is read once,
 * before anything is spent, and a schema with `"type": "strnig"` would otherwise only fail later, at the first
 * call, as a validator error, or never and teach a model a type that does not exist.
 */
const draft7 = new Ajv({ strict: false, allErrors: false });
const draft2020 = new Ajv2020({ strict: false, allErrors: false });

const DRAFT_2020 = /json-schema\.org\/draft\/2020-12\/schema/;
const DRAFT_7 = /json-schema\.org\/draft-07\/schema/;

/** The Ajv that reads `schema`'s draft: 2020-12 when its `$schema` says so, else draft-07 (also for compiling). */
export function ajvFor(schema: object): Ajv {
  const declared = (schema as { $schema?: unknown }).$schema;
  return typeof declared === 'string' && DRAFT_2020.test(declared) ? draft2020 : draft7;
}

/** The first way `schema` breaks its meta-schema, as `<path>: <message>`, or undefined when it is valid. */
export function schemaProblem(schema: Record<string, unknown>): string | undefined {
  const ajv = ajvFor(schema);
  const { $schema: declared, ...rest } = schema;
  // a schema naming another draft (04, 06, 2019-09) is checked against draft-07, which reads them alike here
  const other = typeof declared === 'string' && !DRAFT_2020.test(declared) && !DRAFT_7.test(declared);
  if (ajv.validateSchema(other ? rest : schema) === true) return undefined;
  const e = ajv.errors?.[0];
  if (!e) return 'not a valid JSON Schema';
  const at = e.instancePath.split('/').slice(1).join('.');
  const value = valueAt(schema, e.instancePath);
  return `${at ? `${at}: ` : ''}${e.message ?? 'invalid'}${value === undefined ? '' : ` (found ${JSON.stringify(value)})`}`;
}

function valueAt(schema: unknown, pointer: string): unknown {
  let v: unknown = schema;
  for (const part of pointer.split('/').slice(1)) {
    if (!v || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return typeof v === 'object' ? undefined : v;
}
