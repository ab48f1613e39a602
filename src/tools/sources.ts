import { PoolError, type FunctionDef, type ToolSource } from '../core/pool';
import { splitPoolEntries, type PoolEntry } from '../core/pool-sources';
import { resolvePoolPath } from '../io/pool-paths';
import { listMcpFunctions, mcpSource } from './mcp/source';
import { listOpenApiFunctions, openApiSource } from './openapi/source';
import { splitEnvironment } from './states';

/**
 * A config's pool entry for an MCP server or an OpenAPI document, checked and with its files made absolute
 * (relative to `baseDir`, the config's folder): what workers need to list and execute its tools. Throws a
 * PoolError naming `where` (the config file and field).
 */
export function toToolSource(entry: Exclude<PoolEntry, string>, baseDir: string, where: string): ToolSource {
  const inner = 'mcp' in entry ? entry.mcp : entry.openapi;
  const label = `${where}: ${'mcp' in entry ? 'MCP server' : 'OpenAPI source'} ${String((inner as { name?: string }).name ?? (inner as { url?: string }).url ?? (inner as { file?: string }).file ?? '?')}`;
  // the state a conversation starts from (states, setup, bfclClass) is the same for both kinds of source
  const { rest, env } = splitEnvironment(inner, baseDir, label);
  const source =
    'mcp' in entry
      ? mcpSource(rest as typeof entry.mcp, baseDir, where)
      : openApiSource(rest as typeof entry.openapi, baseDir, where);
  return { ...source, ...env };
}

/** The functions a source offers, each bound to it by `impl`. */
export function loadSourceFunctions(source: ToolSource): Promise<FunctionDef[]> {
  return source.kind === 'mcp' ? listMcpFunctions(source) : listOpenApiFunctions(source);
}

/** A config's `pool` as absolute file paths and checked sources (`where`: the config file, for errors). */
export function resolvePoolEntries(
  pool: PoolEntry | PoolEntry[],
  baseDir: string,
  where: string,
): { poolPaths: string[]; poolSources: ToolSource[] } {
  const entries = splitPoolEntries(Array.isArray(pool) ? pool : [pool]);
  const poolSources = entries.sources.map((e) => toToolSource(e, baseDir, `${where} field pool`));
  // calls find their source by name: two sources of one name would send calls to the wrong one
  const dup = poolSources.find((s, i) => poolSources.findIndex((o) => o.name === s.name) !== i);
  if (dup) throw new PoolError(`${where} field pool: two sources are named ${dup.name} (give one a "name")`);
  return { poolPaths: entries.paths.map((p) => resolvePoolPath(p, baseDir)), poolSources };
}
