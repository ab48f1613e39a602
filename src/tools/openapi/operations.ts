import type { FunctionDef, JsonSchemaT } from '../../core/pool';
import { HTTP_METHODS, isDocumentUrl, type HttpImpl, type OpenApiSource, type ParamBinding } from './config';
import { SchemaConverter } from './schema';

/**
 * OpenAPI operations as pool functions. Pure: takes the dereferenced document, returns the functions and the
 * operations it could not offer, each with the reason (a model cannot send a file upload or a form).
 */
type Obj = Record<string, unknown>;

export interface SkippedOperation {
  /** `METHOD /path` (and the operationId when there is one). */
  operation: string;
  reason: string;
}

export interface OperationsResult {
  functions: FunctionDef[];
  skipped: SkippedOperation[];
}

/** OpenAI's limit on a function description; long API prose is cut there. */
const MAX_DESCRIPTION = 1024;
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An operationId as a function name providers accept: `^[a-zA-Z0-9_-]{1,64}$`, starting with a letter or _. */
export function sanitizeName(raw: string): string {
  let n = raw.replace(/[^A-Za-z0-9_-]+/g, '_').replace(/^_+(?=[A-Za-z0-9])/, '');
  n = n.replace(/_+$/, '');
  if (n !== '' && !/^[A-Za-z_]/.test(n)) n = `op_${n}`;
  return n.slice(0, 64);
}

function uniqueName(base: string, taken: Set<string>): string {
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base.slice(0, 64 - String(i).length - 1)}_${i}`;
  taken.add(name);
  return name;
}

/** `application/json`, `application/problem+json`, `application/json; charset=utf-8`... */
export function isJsonMedia(type: string): boolean {
  const t = type.split(';')[0]?.trim().toLowerCase() ?? '';
  return t === 'application/json' || t.endsWith('+json') || t === '*/*';
}

function jsonMedia(content: unknown): { type: string; schema: unknown } | undefined {
  if (!isObj(content)) return undefined;
  const types = Object.keys(content);
  const type =
    types.find((t) => t.split(';')[0]?.trim().toLowerCase() === 'application/json') ??
    types.find(isJsonMedia);
  if (type === undefined) return undefined;
  const media = content[type];
  return { type, schema: isObj(media) ? media.schema : undefined };
}

/** The first server's URL with its variables' defaults substituted; undefined when there is none. */
export function serverUrl(servers: unknown): string | undefined {
  if (!Array.isArray(servers) || !isObj(servers[0]) || typeof servers[0].url !== 'string') return undefined;
  const { url, variables } = servers[0];
  return (url as string).replace(/\{([^}]+)\}/g, (m, v: string) => {
    const def = isObj(variables) && isObj(variables[v]) ? variables[v].default : undefined;
    return def === undefined ? m : String(def);
  });
}

/**
 * A relative server URL (`/v3`) of a document fetched by URL is relative to the document's URL, as OpenAPI
 * says; a document read from a file has no such base (its relative server needs `baseURL`).
 */
function againstDocument(server: string | undefined, location: string): string | undefined {
  if (server === undefined || isDocumentUrl(server) || !isDocumentUrl(location)) return server;
  try {
    return new URL(server, location).href;
  } catch {
    return server;
  }
}

function describe(op: Obj, method: string, path: string): string {
  const parts = [op.summary, op.description]
    .filter((s): s is string => typeof s === 'string' && s.trim() !== '')
    .map((s) => s.trim());
  if (parts.length === 2 && parts[1]?.startsWith(parts[0] as string)) parts.shift();
  const text = parts.join('. ').replace(/\.\.\s/g, '. ') || `${method.toUpperCase()} ${path}`;
  return text.length > MAX_DESCRIPTION ? `${text.slice(0, MAX_DESCRIPTION - 1)}…` : text;
}

/** Does an operation match a filter entry: operationId, function name or `METHOD /path`? */
function matches(
  entry: string,
  op: { operationId?: string; name: string; method: string; path: string },
): boolean {
  return (
    entry === op.operationId ||
    entry === op.name ||
    entry.toUpperCase() === `${op.method} ${op.path}`.toUpperCase()
  );
}

/** Component schemas by object identity (after dereferencing, every use of a `$ref` is that object). */
function componentNames(doc: Obj): Map<object, string> {
  const names = new Map<object, string>();
  const schemas = isObj(doc.components) ? doc.components.schemas : undefined;
  if (isObj(schemas)) for (const [n, s] of Object.entries(schemas)) if (isObj(s)) names.set(s, n);
  return names;
}

/** Operation parameters: the path item's, overridden by the operation's own (same name and location). */
function parametersOf(pathItem: Obj, op: Obj): Obj[] {
  const byKey = new Map<string, Obj>();
  for (const list of [pathItem.parameters, op.parameters]) {
    if (!Array.isArray(list)) continue;
    for (const p of list) if (isObj(p) && typeof p.name === 'string') byKey.set(`${p.in}:${p.name}`, p);
  }
  return [...byKey.values()];
}

/** The success response's JSON schema: the first 2xx with JSON content, else `default` if no 2xx exists. */
function successSchema(responses: unknown): unknown {
  if (!isObj(responses)) return undefined;
  const codes = Object.keys(responses).sort();
  const ok = codes.filter((c) => /^2(\d\d|XX)$/i.test(c));
  for (const c of ok.length ? ok : codes.filter((c) => c === 'default')) {
    const r = responses[c];
    const media = isObj(r) ? jsonMedia(r.content) : undefined;
    if (media?.schema !== undefined) return media.schema;
  }
  return undefined;
}

class Skip extends Error {}

/** Argument names providers accept (Anthropic's is the strictest); the binding keeps the real name. */
const ARG_RE = /^[A-Za-z0-9_.-]{1,64}$/;

/** A parameter's argument name: its own when providers accept it and it is free, else a safe, unique one. */
function argName(name: string, where: string, taken: Record<string, unknown>): string {
  let base = ARG_RE.test(name) ? name : name.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 64) || where;
  if (base in taken) base = `${base.slice(0, 56)}_${where}`;
  let arg = base;
  for (let i = 2; arg in taken; i++) arg = `${base.slice(0, 60)}_${i}`;
  return arg;
}

export function operationsToFunctions(doc: unknown, source: OpenApiSource): OperationsResult {
  if (isObj(doc) && doc.swagger !== undefined)
    throw new Error(`a Swagger ${String(doc.swagger)} document: convert it to OpenAPI 3 first`);
  if (!isObj(doc) || typeof doc.openapi !== 'string' || !doc.openapi.startsWith('3.'))
    throw new Error('not an OpenAPI 3 document (no "openapi: 3.x" field)');
  const paths = isObj(doc.paths) ? doc.paths : {};
  const converter = new SchemaConverter(componentNames(doc));
  const taken = new Set<string>();
  const functions: FunctionDef[] = [];
  const skipped: SkippedOperation[] = [];
  const seenFilter = new Set<string>();
  for (const [path, pathItem] of Object.entries(paths)) {
    if (!isObj(pathItem)) continue;
    // in the document's order
    for (const [key, op] of Object.entries(pathItem)) {
      const method = HTTP_METHODS.find((m) => m === key);
      if (!method || !isObj(op)) continue;
      const operationId = typeof op.operationId === 'string' ? op.operationId : undefined;
      const label = `${method.toUpperCase()} ${path}${operationId ? ` (${operationId})` : ''}`;
      const base =
        (operationId && sanitizeName(operationId)) ||
        sanitizeName([method, ...path.replace(/[{}]/g, '').split('/').filter(Boolean)].join('_'));
      const filterKey = { operationId, name: base, method, path };
      const { include, exclude } = source.operations ?? {};
      const included = include?.filter((e) => matches(e, filterKey));
      included?.forEach((e) => seenFilter.add(e));
      if ((include && !included?.length) || exclude?.some((e) => matches(e, filterKey))) continue;
      if (op.deprecated === true) {
        skipped.push({ operation: label, reason: 'deprecated' });
        continue;
      }
      try {
        const server = againstDocument(
          serverUrl(op.servers) ?? serverUrl(pathItem.servers) ?? serverUrl(doc.servers),
          source.file,
        );
        const fn = toFunction({ op, pathItem, method, path, server, source, converter });
        const name = uniqueName(base, taken);
        if (!NAME_RE.test(name)) throw new Skip(`no usable function name from "${operationId ?? path}"`);
        functions.push({ name, ...fn });
      } catch (e) {
        if (!(e instanceof Skip)) throw e;
        skipped.push({ operation: label, reason: e.message });
      }
    }
  }
  const unknown = source.operations?.include?.filter((e) => !seenFilter.has(e));
  if (unknown?.length)
    throw new Error(`operations.include: no operation ${unknown.map((u) => `"${u}"`).join(', ')}`);
  return { functions, skipped };
}

/**
 * The arguments a model fills, gathered from the parameters and then the body: each argument's schema (in
 * the order the model sees them), the required ones, and how each goes into the request. The body reads
 * what the parameters took, so one list is filled by both.
 */
interface Arguments {
  properties: Record<string, JsonSchemaT>;
  required: string[];
  params: Record<string, ParamBinding>;
}

function toFunction(o: {
  op: Obj;
  pathItem: Obj;
  method: (typeof HTTP_METHODS)[number];
  path: string;
  server: string | undefined;
  source: OpenApiSource;
  converter: SchemaConverter;
}): Omit<FunctionDef, 'name'> {
  const { op, method, path, source, converter } = o;
  const args: Arguments = { properties: {}, required: [], params: {} };
  for (const p of parametersOf(o.pathItem, op)) addParameter(args, p, source.auth, converter);
  const body = addRequestBody(args, op, converter);
  requireAbsoluteServer(source, o.server);
  const outRaw = successSchema(op.responses);
  const output = outRaw === undefined ? undefined : converter.convert(outRaw, 'response');
  const tags = Array.isArray(op.tags)
    ? op.tags.filter((t): t is string => typeof t === 'string' && t !== '')
    : [];
  const impl: HttpImpl = {
    kind: 'http',
    source: source.name,
    method,
    path,
    ...(o.server ? { server: o.server } : {}),
    params: args.params,
    ...(body ? { body } : {}),
  };
  return {
    description: describe(op, method, path),
    parameters: { type: 'object', properties: args.properties, required: [...new Set(args.required)] },
    ...(output ? { output, outputOrigin: 'declared' as const } : {}),
    category: tags[0] ?? source.name,
    source: { file: source.file, item: `${method.toUpperCase()} ${path}` },
    impl,
  };
}

/** One parameter as an argument, unless the model does not fill it (see `modelFills`). */
function addParameter(
  args: Arguments,
  p: Obj,
  auth: OpenApiSource['auth'],
  converter: SchemaConverter,
): void {
  const where = modelFills(p, auth);
  if (!where) return;
  const name = p.name as string;
  const media = p.schema === undefined ? jsonMedia(p.content) : undefined;
  if (p.schema === undefined && isObj(p.content) && !media)
    throw new Skip(`parameter ${name} is ${Object.keys(p.content).join(', ')}, not JSON`);
  const raw = p.schema ?? media?.schema;
  const schema: JsonSchemaT = raw === undefined ? { type: 'string' } : converter.convert(raw, 'request');
  if (typeof p.description === 'string' && p.description.trim() && !schema.description)
    schema.description = p.description.trim();
  if (schema.default === undefined && schema.enum === undefined && p.example !== undefined)
    schema.examples = [p.example];
  const arg = argName(name, where, args.properties);
  args.properties[arg] = schema;
  if (where === 'path' || p.required === true) args.required.push(arg);
  args.params[arg] = {
    in: where,
    name,
    ...(typeof p.style === 'string' ? { style: p.style } : {}),
    ...(typeof p.explode === 'boolean' ? { explode: p.explode } : {}),
    ...(media ? { contentType: media.type } : {}),
  };
}

/**
 * Where a parameter the model fills goes, or undefined for one magnet leaves out: a cookie (cookies are not
 * sent; a required one skips the operation), the credential, and headers the HTTP client sets itself.
 */
function modelFills(p: Obj, auth: OpenApiSource['auth']): ParamBinding['in'] | undefined {
  const where = p.in;
  const name = p.name as string;
  if (where === 'cookie') {
    if (p.required === true) throw new Skip(`required cookie parameter ${name} (cookies are not sent)`);
    return undefined;
  }
  if (where !== 'path' && where !== 'query' && where !== 'header') return undefined;
  // the credential is magnet's to send, not the model's
  if (auth && auth.type !== 'bearer' && auth.type === where && auth.name.toLowerCase() === name.toLowerCase())
    return undefined;
  if (where === 'header' && ['accept', 'content-type', 'authorization'].includes(name.toLowerCase()))
    return undefined;
  return where;
}

/**
 * The JSON request body as arguments: an object's fields flattened into top-level arguments when they can
 * be (models fill those more reliably than a nested object), else one `body` argument. Undefined when the
 * operation takes no body; a body that is not JSON skips the operation.
 */
function addRequestBody(args: Arguments, op: Obj, converter: SchemaConverter): HttpImpl['body'] {
  const rb = isObj(op.requestBody) ? op.requestBody : undefined;
  if (!rb || !isObj(rb.content) || Object.keys(rb.content).length === 0) return undefined;
  const media = jsonMedia(rb.content);
  if (!media) throw new Skip(`its request body is ${Object.keys(rb.content).join(', ')}, not JSON`);
  const schema = converter.convert(media.schema ?? {}, 'request');
  const bodyRequired = rb.required === true;
  if (flattens(schema, args.properties)) {
    const props = schema.properties;
    for (const [k, s] of Object.entries(props)) args.properties[k] = s;
    if (bodyRequired) args.required.push(...(schema.required ?? []));
    return { contentType: media.type, fields: Object.keys(props) };
  }
  const arg = 'body' in args.properties ? 'requestBody' : 'body';
  if (typeof rb.description === 'string' && !schema.description) schema.description = rb.description;
  args.properties[arg] = schema;
  if (bodyRequired) args.required.push(arg);
  return { contentType: media.type, arg };
}

/**
 * A plain object body whose fields can be arguments: no composition to keep, names providers accept, and
 * none already taken by a parameter.
 */
function flattens(
  schema: JsonSchemaT,
  taken: Record<string, JsonSchemaT>,
): schema is JsonSchemaT & { properties: Record<string, JsonSchemaT> } {
  const props = schema.properties;
  return (
    isObj(props) &&
    Object.keys(props).length > 0 &&
    (schema.type === 'object' || schema.type === undefined) &&
    !schema.oneOf &&
    !schema.anyOf &&
    !schema.allOf &&
    Object.keys(props).every((k) => ARG_RE.test(k) && !(k in taken))
  );
}

/** Calls go to an absolute URL: a relative or missing server needs the config's baseURL. */
function requireAbsoluteServer(source: OpenApiSource, server: string | undefined): void {
  if (!source.baseURL && (!server || !/^https?:\/\//i.test(server)))
    throw new Error(
      `${server ? `the server URL "${server}" is relative` : 'the document names no server'}: set baseURL`,
    );
}
