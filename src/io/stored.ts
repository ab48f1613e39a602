import { ExecutedCall } from '../core/conversation';
import { Graph } from '../core/graph';
import { indexPool, StoredPool, type FunctionDef, type ToolSource } from '../core/pool';
import { getJson, readArtifact, type Ref } from './artifacts';

/**
 * What the artifact store holds, read back as the domain's types: the pool (indexed by name, with its
 * outside sources), the graph, a turn's calls. The pool and graph are kept in memory by reference, since
 * every step of every conversation reads them.
 */

const indexes = new Map<string, { index: Map<string, FunctionDef>; sources: ToolSource[] }>();

async function loadStoredPool(
  storeDir: string,
  ref: Ref,
): Promise<{ index: Map<string, FunctionDef>; sources: ToolSource[] }> {
  const cached = indexes.get(ref);
  if (cached) return cached;
  // read afresh: the parsed pool is kept here, and a second copy in the artifact cache would double a big
  // pool's memory
  const pool = StoredPool.parse(await readArtifact(storeDir, ref));
  const loaded = { index: indexPool(pool), sources: pool.sources ?? [] };
  indexes.set(ref, loaded);
  return loaded;
}

export async function poolIndex(storeDir: string, ref: Ref): Promise<Map<string, FunctionDef>> {
  return (await loadStoredPool(storeDir, ref)).index;
}

/** The pool's MCP servers and OpenAPI services (none for a pool of files). */
export async function poolSources(storeDir: string, ref: Ref): Promise<ToolSource[]> {
  return (await loadStoredPool(storeDir, ref)).sources;
}

const graphs = new Map<string, Graph>();

export async function graphFor(storeDir: string, ref: Ref): Promise<Graph> {
  const cached = graphs.get(ref);
  if (cached) return cached;
  const g = Graph.parse(await getJson(storeDir, ref));
  graphs.set(ref, g);
  return g;
}

export async function loadCalls(storeDir: string, ref: Ref): Promise<ExecutedCall[]> {
  return ExecutedCall.array().parse(await getJson(storeDir, ref));
}
