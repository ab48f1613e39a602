import type { GraphConfig, GraphStats } from '../core/graph';
import { llm, local } from './proxies';

export interface BuildGraphInput {
  storeDir: string;
  poolRef: string;
  config: GraphConfig;
  outDir: string;
  /** Functions judged per activity; each function is still one judge request. */
  chunk?: number;
  parallel?: number;
}

/** MAGNET stage 2: candidates by cheap affinity, then batched judging, then one graph artifact. */
export async function buildGraph(
  input: BuildGraphInput,
): Promise<{ graphRef: string; stats: GraphStats; file: string }> {
  const { candidatesRef, functions } = await local.selectCandidatesActivity(input);
  const chunk = input.chunk ?? 25;
  const parallel = input.parallel ?? 4;
  const ranges: [number, number][] = [];
  for (let s = 0; s < functions; s += chunk) ranges.push([s, Math.min(functions, s + chunk)]);
  const edgeRefs: string[] = new Array<string>(ranges.length);
  for (let i = 0; i < ranges.length; i += parallel) {
    const batch = ranges.slice(i, i + parallel);
    const results = await Promise.all(
      batch.map(([start, end]) =>
        llm.judgeFunctionsActivity({
          storeDir: input.storeDir,
          poolRef: input.poolRef,
          candidatesRef,
          start,
          end,
        }),
      ),
    );
    results.forEach((r, k) => (edgeRefs[i + k] = r.edgesRef));
  }
  return local.assembleGraphActivity({
    storeDir: input.storeDir,
    poolRef: input.poolRef,
    candidatesRef,
    edgeRefs,
    config: input.config,
    outDir: input.outDir,
  });
}
