import type { ToolSource } from '../../core/pool';
import { ToolError, type ExecScope, type Json } from '../types';

// Placeholder of the MCP executor (issue 10): replaced by the MCP module.
export function callMcp(
  source: ToolSource,
  tool: string,
  args: Record<string, unknown>,
  scope: ExecScope,
): Promise<Json> {
  void args;
  void scope;
  return Promise.reject(
    new ToolError(`MCP server ${source.name}: cannot execute ${tool} (not supported yet)`),
  );
}
