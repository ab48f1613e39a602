import { Graph, type GraphStats } from '../core/graph';
import { indexPool, PoolError, StoredPool, type FunctionDef, type ToolSource } from '../core/pool';
import { getJson, putJson, readArtifact, type Ref } from '../io/artifacts';
import { readJson } from '../io/files';
import { loadPool } from '../tools/pool-loader';
import { nonRetryableOn } from './errors';

export async function loadPoolActivity(input: {
  poolPaths: string[];
  /** Absent in inputs of earlier releases. */
  poolSources?: ToolSource[];
  storeDir: string;
}): Promise<{ poolRef: Ref; functions: number; categories: string[] }> {
  return nonRetryableOn(async () => {
    const pool = await loadPool(input.poolPaths, input.poolSources);
    const poolRef = await putJson(input.storeDir, pool);
    const categories = [...new Set(pool.functions.map((f) => f.category))].sort();
    return { poolRef, functions: pool.functions.length, categories };
  });
}

/** Loads a prebuilt graph file and checks that it fits the pool (no unknown functions). */
export async function loadGraphActivity(input: {
  graphPath: string;
  poolRef: Ref;
  storeDir: string;
}): Promise<{ graphRef: Ref; stats: GraphStats }> {
  return nonRetryableOn(async () => {
    const parsed = Graph.safeParse(await readJson(input.graphPath));
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      throw new PoolError(
        `${input.graphPath}: not a magnet graph: field ${i?.path.join('.')}: ${i?.message}`,
      );
    }
    const pool = await poolIndex(input.storeDir, input.poolRef);
    const unknown = parsed.data.nodes.find((n) => !pool.has(n.name));
    if (unknown) throw new PoolError(`${input.graphPath}: function ${unknown.name} is not in the pool`);
    return { graphRef: await putJson(input.storeDir, parsed.data), stats: parsed.data.stats };
  });
}

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
