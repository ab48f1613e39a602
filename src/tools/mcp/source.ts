import { PoolError, type FunctionDef, type ToolSource } from '../../core/pool';

// Placeholder of the MCP pool source (issue 10): replaced by the MCP module.
export function mcpSource(entry: { name: string }, baseDir: string, where: string): ToolSource {
  void baseDir;
  throw new PoolError(`${where}: MCP server ${entry.name}: MCP sources are not supported yet`);
}

export function listMcpFunctions(source: ToolSource): Promise<FunctionDef[]> {
  return Promise.reject(new PoolError(`MCP server ${source.name}: MCP sources are not supported yet`));
}
