import { OpsConfig } from '../core/ops';
import { describeFsp, planConversation } from '../core/plan';
import { indexPool } from '../core/pool';
import { deriveSeed } from '../core/rng';
import { ConfigError } from '../io/config-file';
import { resolvePoolPath } from '../io/pool-paths';
import { loadPool } from '../tools/pool-loader';
import { readGraphFile } from './graph-inspect';

/** `magnet paths`: function-signature paths planned from a graph file, as conversations would plan them. */
export async function printPaths(opts: {
  graph: string;
  pool?: string[];
  n: number;
  seed: number;
  json?: boolean;
}): Promise<void> {
  const parsed = await readGraphFile(opts.graph);
  const poolPaths = opts.pool?.map((p) => resolvePoolPath(p)) ?? parsed.pool;
  if (!poolPaths) throw new ConfigError('--pool is required (the graph does not record its pool)');
  const pool = indexPool(await loadPool(poolPaths));
  const ops = OpsConfig.parse({});
  for (let i = 0; i < opts.n; i++) {
    const plan = planConversation({
      graph: parsed.graph,
      pool,
      seed: deriveSeed(opts.seed, 'conversation', i),
      ops,
      distractors: 3,
    });
    if (opts.json) console.log(JSON.stringify(plan));
    else {
      const t = plan.fsp.trace;
      console.log(
        `FSP ${i + 1}: walk ${plan.fsp.walk.join(' -> ')}\n  merges ${t.merges}/${t.mergeBoundaries}, inserts short ${t.insertsShort} long ${t.insertsLong}, split ${t.split}`,
      );
      console.log(describeFsp(plan.fsp));
    }
  }
}
