import { Graph, type GraphStats } from '../core/graph';
import { PoolError, type ToolSource } from '../core/pool';
import { putJson, type Ref } from '../io/artifacts';
import { readJson } from '../io/files';
import { poolIndex } from '../io/stored';
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
