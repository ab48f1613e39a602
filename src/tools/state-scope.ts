import { outsideSourceOf, type FunctionDef, type ToolSource } from '../core/pool';
import { mcpConfigOf } from './mcp/config';
import { statePerConversation } from './mcp/connect';

/**
 * Whether what a function changes stays in its conversation. `per conversation`: built-in and simulated
 * functions (their state is the conversation's by construction), a stdio MCP server that gets `${scopeDir}` or
 * `${stateFile}` (each conversation's process has its own folder and state file), an OpenAPI service given a
 * `scopeHeader` (every request names the conversation). `shared`: a stdio MCP server without either placeholder
 * (its process is the conversation's, but files it keeps at a fixed path are everyone's, across runs too), an
 * OpenAPI service without `scopeHeader`. `per session`: an HTTP MCP server, where each conversation has its own
 * session and the server decides whether a session has its own state.
 */
export type StateScope = 'per conversation' | 'shared' | 'per session';

/** How an outside source keeps conversations' state apart (see StateScope); pure, from its config alone. */
export function stateScopeOf(source: ToolSource): StateScope {
  if (source.kind === 'openapi')
    return (source as { scopeHeader?: string }).scopeHeader ? 'per conversation' : 'shared';
  const config = mcpConfigOf(source);
  if (!('command' in config)) return 'per session';
  return statePerConversation(config) ? 'per conversation' : 'shared';
}

/** A function's StateScope: its source's, or `per conversation` for built-in and simulated functions. */
export function functionStateScope(def: FunctionDef, sources: readonly ToolSource[]): StateScope {
  const name = outsideSourceOf(def);
  const source = name === undefined ? undefined : sources.find((s) => s.name === name);
  return source ? stateScopeOf(source) : 'per conversation';
}

/**
 * The warning for a stdio MCP server whose state is shared (no `${scopeDir}` / `${stateFile}` in its args, env
 * or cwd), for `magnet pool inspect` and a run's start; undefined for any other source. One line.
 */
export function sharedStateWarning(source: ToolSource): string | undefined {
  if (source.kind !== 'mcp' || stateScopeOf(source) !== 'shared') return undefined;
  return (
    `warning: MCP server ${source.name} has no \${scopeDir} or \${stateFile} in its args, env or cwd: ` +
    'what it keeps outside its process (files, a database) is shared by all conversations and runs (docs/mcp.md)'
  );
}
