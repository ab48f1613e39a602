import { z } from 'zod';
import { PROVIDER_NAME, safeName } from './names';
import { readPoolItems, type PoolItem } from './pool-formats';
import { schemaProblem } from './schema-check';
import { formatProblems, problemsOf } from './issues';

/**
 * A JSON schema as found in tool definitions. Only the parts MAGNET reasons about are typed; the rest is
 * kept as-is so that exported `tools` lists are what the user gave us.
 */
export const JsonSchema: z.ZodType<JsonSchemaT> = z.lazy(() =>
  z
    .object({
      type: z.union([z.string(), z.array(z.string())]).optional(),
      description: z.string().optional(),
      enum: z.array(z.unknown()).optional(),
      properties: z.record(z.string(), JsonSchema).optional(),
      required: z.array(z.string()).optional(),
      // one schema for every element, or (draft-07 tuples) one per position
      items: z.union([JsonSchema, z.array(JsonSchema)]).optional(),
      default: z.unknown().optional(),
      minimum: z.number().optional(),
      maximum: z.number().optional(),
      format: z.string().optional(),
    })
    .passthrough(),
);
export type JsonSchemaT = {
  type?: string | string[];
  description?: string;
  enum?: unknown[];
  properties?: Record<string, JsonSchemaT>;
  required?: string[];
  items?: JsonSchemaT | JsonSchemaT[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  format?: string;
  [k: string]: unknown;
};

/**
 * The elements of an array schema: a tuple's schemas by position (draft-07 `items: [...]`, draft 2020-12
 * `prefixItems`), and the schema every other element follows. Generators write a tuple position by position;
 * analyses that follow one element type (the graph's fields, feeds) see a tuple as having none.
 */
export function arrayItems(s: JsonSchemaT): { tuple: JsonSchemaT[]; each?: JsonSchemaT } {
  if (Array.isArray(s.items)) return { tuple: s.items };
  const tuple = Array.isArray(s.prefixItems) ? (s.prefixItems as JsonSchemaT[]) : [];
  return { tuple, ...(s.items ? { each: s.items } : {}) };
}

/** The schema all elements of an array share, or undefined (a tuple, or no `items`). */
export function elementSchema(s: JsonSchemaT | undefined): JsonSchemaT | undefined {
  if (!s) return undefined;
  const { tuple, each } = arrayItems(s);
  return tuple.length > 0 ? undefined : each;
}

export const ParametersSchema = z
  .object({
    type: z.literal('object'),
    properties: z.record(z.string(), JsonSchema).default({}),
    required: z.array(z.string()).default([]),
  })
  .passthrough()
  .superRefine((p, ctx) => {
    for (const { path, name } of requiredNotDeclared(p))
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'required'],
        message: `required ${path.length ? 'property' : 'parameter'} "${name}" is not in properties`,
      });
  });

/** Keywords whose values are schemas, or lists or maps of schemas, where an object schema may nest. */
const NESTED = ['properties', '$defs', 'definitions', 'items', 'prefixItems', 'anyOf', 'oneOf', 'allOf'];

/**
 * Every `required` name that its object schema does not declare, with the path to that object schema, at any
 * depth. JSON Schema allows it, but in a tool's parameters it is a typo every time: a model would be told to
 * send an argument the schema does not describe, and the described one would never be required.
 */
function requiredNotDeclared(schema: unknown, path: string[] = []): { path: string[]; name: string }[] {
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return [];
  const s = schema as Record<string, unknown>;
  const props = s.properties && typeof s.properties === 'object' ? s.properties : undefined;
  const out = Array.isArray(s.required)
    ? s.required
        .filter((r): r is string => typeof r === 'string' && (path.length === 0 || props !== undefined))
        .filter((r) => !props || !(r in props))
        .map((name) => ({ path, name }))
    : [];
  for (const key of NESTED) {
    const v = s[key];
    if (!v || typeof v !== 'object') continue;
    const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v);
    // items as one schema (not a list or a map of them)
    if (key === 'items' && !Array.isArray(v)) out.push(...requiredNotDeclared(v, [...path, key]));
    else for (const [k, x] of entries) out.push(...requiredNotDeclared(x, [...path, key, k]));
  }
  return out;
}

/**
 * What OpenAI, Anthropic and Gemini all accept as a tool name: a pool with other names would synthesize data
 * no provider can serve. Names from pool files and MCP servers that break it are made safe when they are
 * read (core/names safeName: BFCL's dotted `math.factorial` becomes `math_factorial`, the original kept as
 * `originalName`).
 */
export const FunctionName = z
  .string()
  .regex(
    PROVIDER_NAME,
    'must be 1 to 64 letters, digits, _ or - (what model providers accept in tool names)',
  );

/**
 * Who executes a function, decided when the pool is loaded from where the definition came from, never from
 * its name alone: a user's `place_order` must not run magnet's example code because the names match.
 * `builtin`: magnet's own tool set `set` (only functions of the built-in pool). `simulated`: no implementation,
 * outputs simulated from the output schema (or by the `simulate` role). `mcp`: tool `tool` of the MCP server
 * `server` (a pool source). `http`: an operation of an OpenAPI source, called over HTTP.
 */
export const Impl = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('builtin'), set: z.string() }),
  z.object({ kind: z.literal('simulated') }),
  z.object({ kind: z.literal('mcp'), server: z.string(), tool: z.string() }),
  // the operation binding (method, path, parameter locations) is defined by the OpenAPI source module
  z.object({ kind: z.literal('http'), source: z.string() }).passthrough(),
]);
export type Impl = z.infer<typeof Impl>;

export const FunctionDef = z.object({
  /** The name models see and call (safe for every provider). */
  name: FunctionName,
  /**
   * The name the source gave, when providers refuse it and `name` is its safe form (core/names safeName):
   * BFCL's `uber.ride` for `uber_ride`. The BFCL export and records give it back; an MCP call goes to the
   * server under it (`impl.tool`).
   */
  originalName: z.string().min(1).optional(),
  description: z.string().min(1, 'must not be empty'),
  parameters: ParametersSchema,
  /** JSON schema of what the function returns; edges and execution are much better with it. */
  output: JsonSchema.optional(),
  category: z.string().min(1),
  /** Where the definition came from: file and item (index or line) for error messages and provenance. */
  source: z.object({ file: z.string(), item: z.string() }),
  /** Who executes it; absent in pools stored by earlier releases (then: built-in code by name, as they did). */
  impl: Impl.optional(),
  /** `declared` by the source, or `inferred` (from sample outputs or by an LLM) where the source gave none. */
  outputOrigin: z.enum(['declared', 'inferred']).optional(),
  /** Hints a source gives about the function (MCP tool annotations: readOnlyHint, destructiveHint...). */
  annotations: z.record(z.string(), z.unknown()).optional(),
});
export type FunctionDef = z.infer<typeof FunctionDef>;

/** The outside source (MCP server, OpenAPI service) that executes a function, or undefined for others. */
export function outsideSourceOf(def: Pick<FunctionDef, 'impl'> | undefined): string | undefined {
  const impl = def?.impl;
  return impl?.kind === 'mcp' ? impl.server : impl?.kind === 'http' ? impl.source : undefined;
}

/**
 * A source that executes calls (an MCP server, an OpenAPI service): what a worker needs to reach it, by name.
 * The fields beyond `kind` and `name` are defined by the source's module (src/tools/mcp, src/tools/openapi).
 * Never holds a secret: credentials are named by environment variable.
 */
export const ToolSource = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('mcp'), name: z.string() }).passthrough(),
  z.object({ kind: z.literal('openapi'), name: z.string() }).passthrough(),
]);
export type ToolSource = z.infer<typeof ToolSource>;

export const Pool = z.object({
  functions: z.array(FunctionDef),
  /** Sources whose functions are executed by them; absent for pools of files only. */
  sources: z.array(ToolSource).optional(),
});
export type Pool = z.infer<typeof Pool>;

/**
 * A pool magnet stored (a run's pool artifact, a run folder's pool.json), read as it was written: an earlier
 * release accepted names with dots and up to 128 characters, and its runs must keep going after an upgrade.
 * New pools are checked with `FunctionName` when they are loaded.
 */
export const StoredPool = Pool.extend({
  functions: z.array(FunctionDef.extend({ name: z.string().min(1) })),
});

export class PoolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PoolError';
  }
}

/** Every problem in one readable line: `file item N field x.y: message`, or `file item N: K problems: ...`. */
export function formatIssue(file: string, item: string, err: z.ZodError, schema?: unknown): string {
  return formatProblems([file, item].filter((s) => s !== '').join(' '), problemsOf(err, schema));
}

// The raw shapes accepted from files. Output schemas go by several names in the wild.
const RawFunction = z
  .object({
    name: z.unknown().optional(),
    description: z.unknown().optional(),
    parameters: z.unknown().optional(),
    /** MCP's name for the parameters (tools/list), and Anthropic's. */
    inputSchema: z.unknown().optional(),
    input_schema: z.unknown().optional(),
    output: z.unknown().optional(),
    outputSchema: z.unknown().optional(),
    response: z.unknown().optional(),
    returns: z.unknown().optional(),
    category: z.unknown().optional(),
  })
  .passthrough();

function normalize(
  raw: z.infer<typeof RawFunction>,
  category: string,
  file: string,
  item: string,
): FunctionDef {
  const output = raw.output ?? raw.outputSchema ?? raw.response ?? raw.returns;
  const renamed = typeof raw.name === 'string' && !PROVIDER_NAME.test(raw.name) && safeName(raw.name) !== '';
  // BFCL docs spell object schemas as type "dict"; accept that spelling.
  const candidate = {
    name: renamed ? safeName(raw.name as string) : raw.name,
    ...(renamed ? { originalName: raw.name } : {}),
    description: raw.description,
    parameters: fixDict(raw.parameters ?? raw.inputSchema ?? raw.input_schema),
    output: output === undefined ? undefined : fixDict(output),
    category: typeof raw.category === 'string' && raw.category ? raw.category : category,
    source: { file, item },
  };
  const parsed = FunctionDef.safeParse(candidate);
  if (!parsed.success) throw new PoolError(formatIssue(file, item, parsed.error));
  for (const [field, schema] of [
    ['parameters', parsed.data.parameters],
    ['output', parsed.data.output],
  ] as const) {
    const problem = schema && schemaProblem(schema);
    if (problem) throw new PoolError(`${file} ${item} field ${field}: not a JSON Schema: ${problem}`);
  }
  return parsed.data;
}

function fixDict(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(fixDict);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(v)) {
      if (k === 'type' && val === 'dict') out[k] = 'object';
      else if (k === 'type' && val === 'float') out[k] = 'number';
      else if (k === 'type' && val === 'tuple') out[k] = 'array';
      else if (k === 'type' && val === 'any') continue;
      else out[k] = fixDict(val);
    }
    return out;
  }
  return v;
}

/**
 * Parses one pool file's text: OpenAI tool lists (`{type:"function", function:{...}}`), bare function docs,
 * BFCL function docs or entries (`{function:[...]}`), as one JSON value, JSON lines or YAML (see
 * pool-formats.ts).
 */
export function parsePoolText(text: string, file: string, defaultCategory: string): FunctionDef[] {
  if (text.trim() === '') throw new PoolError(`${file}: file is empty`);
  let items: PoolItem[];
  try {
    items = readPoolItems(text, file);
  } catch (e) {
    throw new PoolError((e as Error).message);
  }
  const out: FunctionDef[] = [];
  for (const { value, item } of items) {
    for (const [raw, sub] of unwrap(value, file, item)) {
      const shape = RawFunction.safeParse(raw);
      if (!shape.success) throw new PoolError(formatIssue(file, sub, shape.error));
      out.push(normalize(shape.data, defaultCategory, file, sub));
    }
  }
  return out;
}

function unwrap(value: unknown, file: string, item: string): [unknown, string][] {
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new PoolError(`${file} ${item}: expected an object describing a function`);
  }
  const v = value as Record<string, unknown>;
  if (typeof v.openapi === 'string' || typeof v.swagger === 'string')
    throw new PoolError(
      `${file}: an OpenAPI document, not a list of functions: name it as a pool source instead, ` +
        `{"openapi": {"name": "<service>", "file": "${file}", "baseURL": "<service URL>"}} in the config's pool (docs/openapi.md)`,
    );
  if (v.type === 'function' && v.function && typeof v.function === 'object') {
    // OpenAI tool; an output schema may sit beside or inside `function`.
    const fn = { ...(v.function as Record<string, unknown>) };
    if (fn.output === undefined && v.output !== undefined) fn.output = v.output;
    return [[fn, item]];
  }
  if (Array.isArray(v.function)) {
    // BFCL question entry: {id, question, function: [...]}
    return v.function.map((f, i) => [f, `${item} function[${i}]`] as [unknown, string]);
  }
  return [[v, item]];
}

/**
 * Merges pools from several files; a name defined twice is an error naming both places, and so are two names
 * that become the same once made safe for providers (`uber.ride` and `uber_ride`, or `uber.ride` and `uber/ride`).
 */
export function mergeFunctions(lists: FunctionDef[][]): Pool {
  const seen = new Map<string, FunctionDef>();
  const functions: FunctionDef[] = [];
  for (const list of lists) {
    for (const f of list) {
      const prev = seen.get(f.name);
      if (prev) throw new PoolError(duplicateName(prev, f));
      seen.set(f.name, f);
      functions.push(f);
    }
  }
  if (functions.length === 0) throw new PoolError('the pool has no functions');
  functions.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { functions };
}

function duplicateName(prev: FunctionDef, f: FunctionDef): string {
  const where = (d: FunctionDef): string => `${d.source.file} ${d.source.item}`;
  if (prev.originalName === undefined && f.originalName === undefined)
    return `duplicate function name "${f.name}": defined in ${where(prev)} and in ${where(f)}`;
  const given = (d: FunctionDef): string => `"${d.originalName ?? d.name}" (${where(d)})`;
  return (
    `function names ${given(prev)} and ${given(f)} both become "${f.name}" when made safe for providers ` +
    `(characters other than letters, digits, _ and - become _, cut to 64): rename one of them`
  );
}

export function indexPool(pool: Pool): Map<string, FunctionDef> {
  return new Map(pool.functions.map((f) => [f.name, f]));
}

/** The OpenAI `tools` entry for a function (what trainers and inference servers read). */
export function toOpenAITool(f: FunctionDef): {
  type: 'function';
  function: { name: string; description: string; parameters: unknown };
} {
  return {
    type: 'function',
    function: { name: f.name, description: f.description, parameters: f.parameters },
  };
}
