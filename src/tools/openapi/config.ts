import { z } from 'zod';
import { SourceName } from '../../core/pool-sources';

/**
 * The config entry `{"openapi": {...}}` and the `ToolSource` it becomes. A ToolSource travels in workflow
 * inputs and stored pools, so it never holds a secret: credentials are named by environment variable and read
 * by the worker when it makes a call.
 */
const EnvName = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]*$/,
    'the NAME of an environment variable (letters, digits, _), not its value',
  );

/** Where the credential goes: `Authorization: Bearer <key>`, a header, or a query parameter. */
export const OpenApiAuth = z.discriminatedUnion('type', [
  z.object({ type: z.literal('bearer'), env: EnvName }).strict(),
  z.object({ type: z.literal('header'), name: z.string().min(1), env: EnvName }).strict(),
  z.object({ type: z.literal('query'), name: z.string().min(1), env: EnvName }).strict(),
]);
export type OpenApiAuth = z.infer<typeof OpenApiAuth>;

/**
 * Which operations become functions. Each entry is an operationId, a function name, or `METHOD /path`
 * (`GET /pets/{id}`); `include` keeps only those (every entry must match one), `exclude` drops those.
 */
export const OperationFilter = z
  .object({
    include: z.array(z.string().min(1)).min(1).optional(),
    exclude: z.array(z.string().min(1)).optional(),
  })
  .strict();
export type OperationFilter = z.infer<typeof OperationFilter>;

const BaseUrl = z
  .string()
  .url('must be an absolute URL such as https://api.example.com/v1')
  .refine((u) => /^https?:/i.test(u), 'must be an http or https URL');

const HeaderName = z.string().regex(/^[A-Za-z0-9-]+$/, 'must be an HTTP header name');

/** What a user writes under `"openapi"` in a run config's `pool`. */
export const OpenApiEntryConfig = z
  .object({
    /** The document, JSON or YAML, relative to the config file, or its http(s) URL (as `url`). */
    file: z.string().min(1).optional(),
    /** The document's http(s) URL: fetched (with the documents its `$ref`s reach) when the pool is loaded. */
    url: z
      .string()
      .url('must be an absolute URL such as https://api.example.com/openapi.json')
      .refine((u) => /^https?:/i.test(u), 'must be an http or https URL')
      .optional(),
    /** Names the source in records and functions' `impl`; default: the document's base name. */
    name: SourceName.optional(),
    /** Where calls go instead of the document's first server URL (needed when that one is relative). */
    baseURL: BaseUrl.optional(),
    auth: OpenApiAuth.optional(),
    operations: OperationFilter.optional(),
    /**
     * A request header that carries the conversation's scope (its id) on every call, setup and observation:
     * a service that keeps state per value of it gives each conversation its own state, as MCP servers do.
     */
    scopeHeader: HeaderName.optional(),
  })
  .strict();
export type OpenApiEntryConfig = z.infer<typeof OpenApiEntryConfig>;

/** An http or https URL (a pool entry's `file` that is one is fetched, not read from disk). */
export function isDocumentUrl(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

/**
 * The checked entry as a pool source, no secret. `file` is where the document is: its absolute path, or its
 * http(s) URL as the config gave it (in `url` or `file`), read again from there wherever it is needed.
 */
export const OpenApiSource = z.object({
  kind: z.literal('openapi'),
  name: SourceName,
  file: z.string().min(1),
  baseURL: BaseUrl.optional(),
  auth: OpenApiAuth.optional(),
  operations: OperationFilter.optional(),
  scopeHeader: HeaderName.optional(),
});
export type OpenApiSource = z.infer<typeof OpenApiSource>;

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'] as const;

/** How one argument of a function is sent: its location and name in the request, and its serialization. */
export const ParamBinding = z.object({
  in: z.enum(['path', 'query', 'header']),
  name: z.string().min(1),
  /** OpenAPI `style` and `explode` (defaults: simple for path and header, form+explode for query). */
  style: z.string().optional(),
  explode: z.boolean().optional(),
  /** A parameter described by `content` instead of `schema`: its value is sent as that media type (JSON). */
  contentType: z.string().optional(),
});
export type ParamBinding = z.infer<typeof ParamBinding>;

/**
 * A function's `impl` for an OpenAPI operation: the request to make from the call's arguments. The JSON
 * body is either one argument (`arg`) or the arguments listed in `fields` (an object body flattened into
 * top-level arguments, which models fill more reliably than a nested object).
 */
export const HttpImpl = z.object({
  kind: z.literal('http'),
  source: z.string(),
  method: z.enum(HTTP_METHODS),
  /** The path template, `/pets/{id}`. */
  path: z.string().startsWith('/'),
  /** The operation's server URL from the document (variables substituted); a configured baseURL wins. */
  server: z.string().optional(),
  params: z.record(z.string(), ParamBinding),
  body: z
    .union([
      z.object({ contentType: z.string(), arg: z.string() }),
      z.object({ contentType: z.string(), fields: z.array(z.string()) }),
    ])
    .optional(),
});
export type HttpImpl = z.infer<typeof HttpImpl>;
