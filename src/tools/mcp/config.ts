import path from 'node:path';
import { z } from 'zod';
import { SourceName } from '../../core/pool-sources';
import { PoolError, type ToolSource } from '../../core/pool';
import { withoutEnvironment } from '../states';

/** An environment variable name (for `envFrom`/`headersFrom`: the worker variable holding a secret). */
const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');

/**
 * Which tools without an output schema get one inferred from a sample call on a throwaway server instance:
 * `readOnly` (default) only tools annotated `readOnlyHint` — a throwaway process does not undo what a tool
 * does outside it (an email sent, a remote record written); `all` every tool; `none` no sample calls.
 */
const InferOutputs = z.enum(['readOnly', 'all', 'none']).default('readOnly');

const common = {
  name: SourceName,
  inferOutputs: InferOutputs,
  /**
   * At most this many seconds for a call's first try before the server counts as hung. A call has one time
   * limit, the run's `execution.timeoutSeconds`: its first try gets half of it (or this, if shorter); a hung
   * or crashed server is then replaced (state rebuilt) and the call tried once more with the time left.
   */
  timeoutSeconds: z.number().positive().max(120).optional(),
};

/**
 * A stdio MCP server: `command` with `args`, run in `cwd` (default: the config's folder) with only `env`
 * (plus the basics PATH, HOME, LOGNAME, SHELL, TERM, USER) and, by name, worker variables in `envFrom`
 * (`{"TOKEN": "MY_TOKEN_VAR"}` gives the server TOKEN = the worker's MY_TOKEN_VAR, so the secret is never
 * in the config, the run input or a history). `${scopeDir}` in args, env and cwd is a fresh empty folder
 * of each server instance (one per conversation): servers that keep state in files keep it apart.
 */
export const McpStdioConfig = z
  .object({
    ...common,
    command: z.string().min(1),
    args: z.array(z.string()).default([]),
    env: z.record(EnvName, z.string()).default({}),
    envFrom: z.record(EnvName, EnvName).default({}),
    cwd: z.string().min(1).optional(),
  })
  .strict();

/** A streamable-HTTP MCP server: one session per conversation. Secret headers by variable in `headersFrom`. */
export const McpHttpConfig = z
  .object({
    ...common,
    url: z.string().url(),
    headers: z.record(z.string(), z.string()).default({}),
    headersFrom: z.record(z.string(), EnvName).default({}),
  })
  .strict();

export const McpConfig = z.union([McpStdioConfig, McpHttpConfig]);
export type McpStdioConfig = z.infer<typeof McpStdioConfig>;
export type McpHttpConfig = z.infer<typeof McpHttpConfig>;
export type McpConfig = z.infer<typeof McpConfig>;

/** The checked config as a pool source: `{kind: 'mcp', name, ...config}` with its paths made absolute. */
export type McpSource = ToolSource & McpConfig & { kind: 'mcp' };

function issueText(e: z.ZodError, prefix: string): string {
  const i = e.issues[0];
  if (!i) return 'invalid';
  if (i.code === 'unrecognized_keys') return `unknown field ${prefix}${i.keys.join(', ')}`;
  const field = i.path.length ? `${prefix}${i.path.map(String).join('.')}` : prefix.replace(/\.$/, '');
  return `field ${field}: ${i.message}`;
}

/**
 * Checks a config's `{"mcp": {...}}` pool entry. A stdio server needs `command`, an HTTP one `url` (not
 * both); errors name the field. Relative `cwd` and a `command` given as a relative path are made absolute
 * against `baseDir` (the config's folder), so workers started elsewhere run the same server.
 */
export function mcpSource(entry: { name: string }, baseDir: string, where: string): McpSource {
  const at = `${where}: MCP server ${entry.name}`;
  const raw = entry as Record<string, unknown>;
  if ('command' in raw && 'url' in raw)
    throw new PoolError(`${at}: give command (stdio) or url (HTTP), not both`);
  if (!('command' in raw) && !('url' in raw))
    throw new PoolError(`${at}: field mcp.command (stdio) or mcp.url (HTTP) is required`);
  const schema = 'url' in raw ? McpHttpConfig : McpStdioConfig;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new PoolError(`${at}: ${issueText(parsed.error, 'mcp.')}`);
  const c = parsed.data;
  if ('command' in c) {
    const command =
      /[\\/]/.test(c.command) && !c.command.includes('${') ? path.resolve(baseDir, c.command) : c.command;
    const cwd = c.cwd === undefined ? baseDir : c.cwd.includes('${') ? c.cwd : path.resolve(baseDir, c.cwd);
    return { kind: 'mcp', ...c, command, cwd };
  }
  return { kind: 'mcp', ...c };
}

/** The source's checked config again (sources come back from stored pools and workflow inputs). */
export function mcpConfigOf(source: ToolSource): McpConfig {
  const parsed = McpConfig.safeParse(
    Object.fromEntries(Object.entries(withoutEnvironment(source)).filter(([k]) => k !== 'kind')),
  );
  if (!parsed.success) throw new PoolError(`MCP server ${source.name}: ${issueText(parsed.error, 'mcp.')}`);
  return parsed.data;
}
