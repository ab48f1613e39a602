import { PreflightError } from '../core/failures';
import type { ToolSource } from '../core/pool';
import { mcpConfigOf } from './mcp/config';
import { startInstance } from './mcp/connect';
import { readOpenApi } from './openapi/source';
import { fetchFailure } from '../core/fetch-failure';

/**
 * Checks of a pool's outside tools before a run starts (and before a worker takes steps), as for providers:
 * a server that does not start or a service that cannot be reached would otherwise be found by the first
 * conversation that calls it, after the run has started spending, and every conversation would wait.
 * One line per problem, naming the source and the config field to fix.
 */

/** How long a source may take to answer (all are checked at once): the command fails within 10 s even on a busy machine. */
export const TOOL_PREFLIGHT_MS = 6000;

/** The config field a source's problem is fixed in, with its value. */
function fieldOf(source: ToolSource): string {
  if (source.kind === 'mcp') {
    const c = mcpConfigOf(source);
    return 'command' in c
      ? `mcp.command ${JSON.stringify([c.command, ...c.args].join(' '))}`
      : `mcp.url ${c.url}`;
  }
  return source.baseURL
    ? `openapi.baseURL ${String(source.baseURL)}`
    : "the document's servers (or openapi.baseURL)";
}

/** An MCP server starts and lists its tools once, within the time, on a throwaway instance. */
async function checkMcp(source: ToolSource, timeoutMs: number): Promise<string | undefined> {
  try {
    const instance = await startInstance(source, { timeoutMs, quiet: true });
    await instance.close();
    return undefined;
  } catch (e) {
    return (e as Error).message.replace(`MCP server ${source.name} `, '');
  }
}

/**
 * An OpenAPI service's base URLs (the configured one, else the document's servers its operations use) each
 * answer one GET with any HTTP status: a 401 or a 404 still shows the service is there.
 */
async function checkOpenApi(source: ToolSource, timeoutMs: number): Promise<string | undefined> {
  const urls = new Set<string>();
  if (source.baseURL) urls.add(String(source.baseURL));
  else {
    let functions;
    try {
      ({ functions } = await readOpenApi(source));
    } catch (e) {
      return (e as Error).message;
    }
    for (const f of functions) {
      const server = f.impl?.kind === 'http' ? (f.impl as { server?: unknown }).server : undefined;
      if (typeof server === 'string') urls.add(server);
    }
  }
  for (const url of urls) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
      await res.body?.cancel();
    } catch (e) {
      // a URL of the document's servers is named; the configured one is in the field already
      const { reason } = fetchFailure(e, timeoutMs, url);
      return url === source.baseURL ? reason : `${url}: ${reason}`;
    }
  }
  return undefined;
}

/**
 * Every source checked at once; throws one line listing each source that failed, `where` (the config file's
 * `field pool`, or the run) first. Resolves when all answered.
 */
export async function preflightTools(
  sources: readonly ToolSource[],
  where: string,
  timeoutMs = TOOL_PREFLIGHT_MS,
): Promise<void> {
  const problems = await Promise.all(
    sources.map(async (s) => {
      const problem = await (s.kind === 'mcp' ? checkMcp(s, timeoutMs) : checkOpenApi(s, timeoutMs));
      const kind = s.kind === 'mcp' ? 'MCP server' : 'OpenAPI source';
      return problem && `${kind} ${s.name} (${fieldOf(s)}): ${problem}`;
    }),
  );
  const failed = problems.filter((p): p is string => p !== undefined);
  if (failed.length) throw new PreflightError(`${where}: ${failed.join('; ')}`);
}
