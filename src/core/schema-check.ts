import Ajv, { type Options, type ValidateFunction } from 'ajv';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

/**
 * Whether a tool's schema is a JSON Schema at all, checked against the meta-schema it declares (draft 2020-12
 * when its `$schema` says so, else draft-07, what most tool files and MCP servers write). A pool is read once,
 * before anything is spent, and a schema with `"type": "strnig"` would otherwise only fail later, at the first
 * call, as a validator error, or never and teach a model a type that does not exist.
 */
const options: Options = {
  strict: false,
  allErrors: false,
  // a format ajv-formats does not know (a tool file's own "phone", "iri") is ignored: it must not keep a valid
  // schema from loading, and Ajv's warning for it, once per schema compiled, would flood stderr
  logger: {
    log: () => undefined,
    warn: (...args: unknown[]) => {
      if (!/^unknown format /.test(String(args[0]))) console.warn(...args);
    },
    error: (...args: unknown[]) => console.error(...args),
  },
};

/**
 * The two compilers, with the formats of ajv-formats checked (date, time, date-time, duration, uri, url,
 * email, hostname, ipv4, ipv6, uuid, regex, json-pointer, OpenAPI's int32/int64/float/double/byte...): an
 * argument or output that breaks its format is invalid, and the offline values are written to fit them.
 */
const draft7 = addFormats(new Ajv(options));
const draft2020 = addFormats(new Ajv2020(options));

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
