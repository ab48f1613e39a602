import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { PROVIDER_NAME, safeName } from '../../core/names';
import { FunctionDef, PoolError, type ToolSource } from '../../core/pool';
import { mcpConfigOf } from './config';
import { startInstance, type McpInstance } from './connect';
import { executeOnInstance } from './execute';
import { sampleValue, schemaOfValue } from './infer';

export { mcpSource } from './config';

/**
 * A tool as a pool function of the server, executed by it. A name providers refuse (`fs.read`) becomes its
 * safe form (`fs_read`, core/names) with the tool's own name kept as `originalName` and `impl.tool`: models call
 * the safe name, the server is called under its own. Throws a PoolError naming server and tool.
 */
function toFunction(server: string, tool: Tool, index: number): FunctionDef {
  const at = `MCP server ${server}: tool ${tool.name}`;
  const renamed = !PROVIDER_NAME.test(tool.name) && safeName(tool.name) !== '';
  const { $schema: _s, ...parameters } = tool.inputSchema as Record<string, unknown>;
  const output = tool.outputSchema
    ? (({ $schema: _o, ...o }) => o)(tool.outputSchema as Record<string, unknown>)
    : undefined;
  const parsed = FunctionDef.safeParse({
    name: renamed ? safeName(tool.name) : tool.name,
    ...(renamed ? { originalName: tool.name } : {}),
    description: tool.description?.trim() || tool.title || tool.annotations?.title || tool.name,
    parameters,
    ...(output ? { output, outputOrigin: 'declared' } : {}),
    category: server,
    source: { file: `mcp:${server}`, item: String(index) },
    impl: { kind: 'mcp', server, tool: tool.name },
    ...(tool.annotations ? { annotations: tool.annotations } : {}),
  });
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new PoolError(`${at}: field ${i?.path.join('.') || '(tool)'}: ${i?.message}`);
  }
  return parsed.data;
}

/**
 * Output schemas for tools that declare none, from one sample call each (arguments: the smallest the input
 * schema accepts) on `instance`, a throwaway server whose state nothing else sees. Only object outputs
 * give a schema; a tool that refuses the sample arguments keeps none.
 */
async function inferOutputs(
  instance: McpInstance,
  defs: FunctionDef[],
  which: 'readOnly' | 'all',
): Promise<void> {
  for (const def of defs) {
    if (def.output) continue;
    // the server knows the tool by its own name (a renamed one's original)
    const name = def.impl?.kind === 'mcp' ? def.impl.tool : def.name;
    const tool = instance.tools.get(name);
    if (which === 'readOnly' && tool?.annotations?.readOnlyHint !== true) continue;
    try {
      const out = await executeOnInstance(
        instance,
        name,
        sampleValue(def.parameters) as Record<string, unknown>,
      );
      if (out && typeof out === 'object' && !Array.isArray(out)) {
        def.output = schemaOfValue(out);
        def.outputOrigin = 'inferred';
      }
    } catch {
      // the sample arguments were refused: no schema rather than a guessed one
    }
  }
}

/**
 * The server's tools as pool functions (category: the server's name). Lists them on a throwaway instance,
 * which also runs the sample calls that infer missing output schemas (see `inferOutputs` in the config).
 */
export async function listMcpFunctions(source: ToolSource): Promise<FunctionDef[]> {
  const config = mcpConfigOf(source);
  let instance: McpInstance;
  try {
    instance = await startInstance(source);
  } catch (e) {
    throw new PoolError((e as Error).message);
  }
  try {
    const defs = [...instance.tools.values()].map((t, i) => toFunction(source.name, t, i));
    if (config.inferOutputs !== 'none') await inferOutputs(instance, defs, config.inferOutputs);
    return defs;
  } finally {
    await instance.close();
  }
}
