import type { FunctionDef, ToolSource } from '../../core/pool';
import { DEFAULT_LIMITS, type CallContext } from '../safe';
import { InfrastructureError, ToolError, type ExecScope, type Json } from '../types';
import { HttpImpl, OpenApiSource, type ParamBinding } from './config';
import { isJsonMedia } from './operations';

/**
 * Executes a function of an OpenAPI source: one real HTTP request built from the call's arguments as its
 * `impl` binds them (path, query, header, JSON body), sent to the configured base URL or the document's
 * server, with the credential read from the named environment variable now (never stored). A 2xx JSON answer
 * is the output; another answer (4xx, 500) is a ToolError, the call's labelled outcome; no answer (refused,
 * reset, 408/429/502/503/504, over the cap) is an InfrastructureError, never data. safeCall adds the
 * timeout and the output cap; the body is also read with a byte limit here, so a huge answer is never
 * buffered whole.
 */
export async function callHttp(
  source: ToolSource,
  def: FunctionDef,
  args: Record<string, unknown>,
  scope: ExecScope,
  /** safeCall's: aborted at the call's timeout; the output cap (the run config's `execution`). */
  ctx?: CallContext,
): Promise<Json> {
  const src = OpenApiSource.safeParse(source);
  if (!src.success)
    throw new InfrastructureError(
      `OpenAPI source ${source.name} is invalid: ${src.error.issues[0]?.message}`,
    );
  const impl = HttpImpl.safeParse(def.impl);
  if (!impl.success)
    throw new ToolError(`${def.name}: not bound to an HTTP operation (${impl.error.issues[0]?.message})`);
  const request = buildRequest(src.data, impl.data, args);
  // the service keeps its own state; a service that scopes it by a header gets the conversation's
  if (src.data.scopeHeader) request.headers[src.data.scopeHeader.toLowerCase()] = scope.key;
  let res: Response;
  try {
    res = await fetch(request.url, {
      method: impl.data.method.toUpperCase(),
      headers: request.headers,
      body: request.body,
      signal: ctx?.signal ?? AbortSignal.timeout(DEFAULT_LIMITS.timeoutMs),
      // a header or query credential would follow a redirect to any host: with one, redirects are not followed
      redirect: src.data.auth ? 'manual' : 'follow',
    });
  } catch (e) {
    const err = e as Error & { cause?: { message?: string } };
    throw new InfrastructureError(`request to ${request.shown} failed: ${err.cause?.message ?? err.message}`);
  }
  const text = await readCapped(res, ctx?.maxOutputBytes ?? DEFAULT_LIMITS.maxOutputBytes);
  const status = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
  if (res.status >= 300 && res.status < 400 && res.headers.has('location'))
    throw new ToolError(
      `${status}: redirected to ${res.headers.get('location')}, not followed with a credential`,
    );
  if (!res.ok) {
    // the service did not handle the request (busy, down behind its gateway): not an answer to the call
    if (UNAVAILABLE.has(res.status)) throw new InfrastructureError(`${status}: ${excerpt(text)}`);
    throw new ToolError(`${status}: ${excerpt(text)}`);
  }
  if (text.trim() === '') return { status: res.status };
  const type = res.headers.get('content-type') ?? '';
  if (isJsonMedia(type)) {
    try {
      return JSON.parse(text) as Json;
    } catch {
      throw new ToolError(`HTTP ${res.status}: the answer is not valid JSON: ${excerpt(text)}`);
    }
  }
  if (type !== '') return text;
  // no content type: JSON if it parses, else the text as it is
  try {
    return JSON.parse(text) as Json;
  } catch {
    return text;
  }
}

/** Statuses that say the request was not handled: timeout, rate limit, bad gateway, unavailable. */
const UNAVAILABLE = new Set([408, 429, 502, 503, 504]);

function excerpt(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat === '') return '(empty body)';
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/**
 * Reads a response body, giving up (and closing the connection) past `limit` bytes with `over()` (default:
 * an InfrastructureError, a call's answer that is too big is no answer).
 */
export async function readCapped(
  res: Response,
  limit: number,
  over: () => Error = () =>
    new InfrastructureError(`HTTP ${res.status}: answer over the ${limit}-byte limit`),
): Promise<string> {
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += chunk.byteLength;
    // leaving the loop cancels the stream: the rest of a huge answer is never downloaded
    if (size > limit) throw over();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

interface BuiltRequest {
  url: string;
  /** The URL without the query (which may hold an API key), for error messages. */
  shown: string;
  headers: Record<string, string>;
  body?: string;
}

export function buildRequest(
  source: OpenApiSource,
  impl: HttpImpl,
  args: Record<string, unknown>,
): BuiltRequest {
  const base = source.baseURL ?? impl.server;
  if (!base) throw new InfrastructureError(`OpenAPI source ${source.name}: no server URL (set baseURL)`);
  let path = impl.path;
  const query: [string, string][] = [];
  const headers: Record<string, string> = { accept: 'application/json' };
  for (const [arg, b] of Object.entries(impl.params)) {
    const value = args[arg];
    if (value === undefined || value === null) {
      if (b.in === 'path') throw new ToolError(`missing required argument ${arg} (path parameter ${b.name})`);
      continue;
    }
    if (b.contentType) {
      // a `content` parameter is one serialized value, not a styled list
      const text = JSON.stringify(value);
      if (b.in === 'path') path = path.split(`{${b.name}}`).join(encodeURIComponent(text));
      else if (b.in === 'query') query.push([b.name, text]);
      else headers[b.name.toLowerCase()] = text;
    } else if (b.in === 'path') path = path.split(`{${b.name}}`).join(pathValue(b, value));
    else if (b.in === 'query') query.push(...queryPairs(b, value));
    else headers[b.name.toLowerCase()] = simple(value, b.explode ?? false, String);
  }
  let body: string | undefined;
  if (impl.body) {
    headers['content-type'] = impl.body.contentType;
    if ('arg' in impl.body) {
      if (args[impl.body.arg] !== undefined) body = JSON.stringify(args[impl.body.arg]);
    } else {
      const fields = impl.body.fields.filter((f) => args[f] !== undefined);
      body = JSON.stringify(Object.fromEntries(fields.map((f) => [f, args[f]])));
    }
    if (body === undefined) delete headers['content-type'];
  }
  const auth = source.auth;
  if (auth) {
    const key = process.env[auth.env];
    if (!key)
      throw new ToolError(
        `environment variable ${auth.env} (credential of OpenAPI source ${source.name}) is not set`,
      );
    if (auth.type === 'bearer') headers.authorization = `Bearer ${key}`;
    else if (auth.type === 'header') headers[auth.name.toLowerCase()] = key;
    else query.push([auth.name, key]);
  }
  const shown = `${base.replace(/\/+$/, '')}${path}`;
  const qs = query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  return { url: qs ? `${shown}${shown.includes('?') ? '&' : '?'}${qs}` : shown, shown, headers, body };
}

function scalar(v: unknown): string {
  return typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
}

/** OpenAPI `simple` style: arrays and objects as comma lists (`k,v,k2,v2`, or `k=v,k2=v2` when exploded). */
function simple(value: unknown, explode: boolean, enc: (s: string) => string): string {
  if (Array.isArray(value)) return value.map((v) => enc(scalar(v))).join(',');
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value);
    return explode
      ? entries.map(([k, v]) => `${enc(k)}=${enc(scalar(v))}`).join(',')
      : entries.flatMap(([k, v]) => [enc(k), enc(scalar(v))]).join(',');
  }
  return enc(scalar(value));
}

function pathValue(b: ParamBinding, value: unknown): string {
  const explode = b.explode ?? false;
  const enc = encodeURIComponent;
  if (b.style === 'label') return `.${simple(value, explode, enc)}`;
  if (b.style === 'matrix') return `;${enc(b.name)}=${simple(value, explode, enc)}`;
  return simple(value, explode, enc);
}

/** Query pairs (not yet encoded) for OpenAPI's form (default), spaceDelimited, pipeDelimited and deepObject styles. */
function queryPairs(b: ParamBinding, value: unknown): [string, string][] {
  const style = b.style ?? 'form';
  const explode = b.explode ?? style === 'form';
  if (Array.isArray(value)) {
    if (style === 'form' && explode) return value.map((v) => [b.name, scalar(v)]);
    const sep = style === 'spaceDelimited' ? ' ' : style === 'pipeDelimited' ? '|' : ',';
    return [[b.name, value.map(scalar).join(sep)]];
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value);
    if (style === 'deepObject') return entries.map(([k, v]) => [`${b.name}[${k}]`, scalar(v)]);
    if (explode) return entries.map(([k, v]) => [k, scalar(v)]);
    return [[b.name, entries.flatMap(([k, v]) => [k, scalar(v)]).join(',')]];
  }
  return [[b.name, scalar(value)]];
}
