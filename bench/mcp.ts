import path from 'node:path';
import { callMcp } from '../src/tools/mcp/execute';
import { closeAll, closeScope } from '../src/tools/mcp/sessions';
import { mcpSource } from '../src/tools/mcp/source';
import type { ExecScope } from '../src/tools/types';

/**
 * `npm run bench -- --only mcp`: what a conversation pays for its own MCP server (server-memory from npm,
 * stdio): starting an instance, a call on a live one, and rebuilding a conversation of N recorded calls on
 * a fresh one (a retried turn, another worker). No target is enforced: the figures size the per-worker cap.
 */
export async function mcpBench(): Promise<void> {
  const root = path.join(__dirname, '..', '..');
  const source = mcpSource(
    {
      name: 'memory',
      command: process.execPath,
      args: [path.join(root, 'node_modules/@modelcontextprotocol/server-memory/dist/index.js')],
      env: { MEMORY_FILE_PATH: '${scopeDir}/memory.jsonl' },
    } as { name: string },
    root,
    'bench',
  );
  const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;
  const entity = (i: number): Record<string, unknown> => ({
    entities: [{ name: `e${i}`, entityType: 'thing', observations: [`o${i}`] }],
  });

  let t0 = process.hrtime.bigint();
  const first: ExecScope = { key: 'bench-1', history: [] };
  await callMcp(source, 'read_graph', {}, first);
  const start = ms(t0);

  const N = 50;
  const history: { name: string; arguments: Record<string, unknown>; output: unknown }[] = [];
  t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    const args = entity(i);
    history.push({
      name: 'create_entities',
      arguments: args,
      output: await callMcp(source, 'create_entities', args, first),
    });
  }
  const perCall = ms(t0) / N;
  await closeScope('bench-1');

  t0 = process.hrtime.bigint();
  const retried: ExecScope = { key: 'bench-1', history };
  await callMcp(source, 'read_graph', {}, retried);
  const rebuild = ms(t0);
  await closeAll();
  console.log(
    JSON.stringify({
      bench: 'mcp',
      server: 'server-memory (stdio)',
      startAndFirstCallMs: Math.round(start),
      callOnLiveInstanceMs: Number(perCall.toFixed(2)),
      [`rebuildOf${N}CallsMs`]: Math.round(rebuild),
      rebuildDifferences: retried.rebuilt?.[0]?.differences.length,
    }),
  );
}
