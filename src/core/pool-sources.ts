import { z } from 'zod';
import type { ToolSource } from './pool';

/**
 * Pool entries of a run config besides files and folders: tools that live somewhere else and are executed
 * there. Each kind's own fields are checked by its module (src/tools/mcp, src/tools/openapi) when the entry
 * becomes a `ToolSource`; here only the shape that tells the kinds apart.
 */
export const SourceName = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,32}$/, 'letters, digits, _ and - only (max 32): it names the source in records');

/** An MCP server: a stdio command (with args, env, working folder) or a streamable-HTTP URL. */
export const McpEntry = z.object({ mcp: z.object({ name: SourceName }).passthrough() }).strict();
/**
 * An OpenAPI 3 document (JSON or YAML; a `file`, or a `url`), called at its server or a configured base URL.
 * Which one of the two it must have is checked by src/tools/openapi, which names the entry.
 */
export const OpenApiEntry = z
  .object({
    openapi: z
      .object({ file: z.string().min(1).optional(), url: z.string().min(1).optional() })
      .passthrough(),
  })
  .strict();

export const PoolEntry = z.union([z.string().min(1), McpEntry, OpenApiEntry]);
export type PoolEntry = z.infer<typeof PoolEntry>;

/** Files and folders, and the other sources, of a config's `pool`, in the order given. */
export function splitPoolEntries(entries: readonly PoolEntry[]): {
  paths: string[];
  sources: Exclude<PoolEntry, string>[];
} {
  const paths: string[] = [];
  const sources: Exclude<PoolEntry, string>[] = [];
  for (const e of entries) {
    if (typeof e === 'string') paths.push(e);
    else sources.push(e);
  }
  return { paths, sources };
}

export type { ToolSource };
