import path from 'node:path';
import { buildGraphOffline, Graph, GraphConfig, toDot } from '../core/graph';
import { OpsConfig } from '../core/ops';
import { describeFsp, planConversation } from '../core/plan';
import { indexPool } from '../core/pool';
import { deriveSeed } from '../core/rng';
import { ConfigError } from '../io/config-file';
import { readJson, writeAtomic } from '../io/files';
import { loadPool } from '../io/pool-files';

/** `magnet graph` and `magnet paths`: the graph and FSP stages on their own, offline, without Temporal. */

export async function buildGraphFile(opts: {
  pool: string[];
  out: string;
  dot?: string;
  maxCandidates?: number;
}): Promise<void> {
  const config = GraphConfig.parse({ maxCandidates: opts.maxCandidates });
  const poolPaths = opts.pool.map((p) => path.resolve(p));
  const pool = await loadPool(poolPaths);
  const graph = { ...buildGraphOffline(pool.functions, config), pool: poolPaths };
  await writeAtomic(path.resolve(opts.out), JSON.stringify(graph, null, 1));
  if (opts.dot) await writeAtomic(path.resolve(opts.dot), toDot(graph));
  const s = graph.stats;
  console.log(`graph: ${s.nodes} nodes, ${s.edges} edges (judge ${graph.judge}) -> ${opts.out}`);
  console.log(
    `  relations: ${Object.entries(s.byRelation)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  );
  console.log(
    `  out-degree min/median/mean/max: ${s.outDegree.min}/${s.outDegree.median}/${s.outDegree.mean}/${s.outDegree.max}`,
  );
  console.log(
    `  in-degree  min/median/mean/max: ${s.inDegree.min}/${s.inDegree.median}/${s.inDegree.mean}/${s.inDegree.max}`,
  );
  console.log(`  with out-edges: ${s.withOutEdges}, isolated: ${s.isolated}`);
  for (const [cat, c] of Object.entries(s.categories))
    console.log(`  ${cat}: ${c.nodes} functions, ${c.edges} edges`);
}

export async function printPaths(opts: {
  graph: string;
  pool?: string[];
  n: number;
  seed: number;
  json?: boolean;
}): Promise<void> {
  const raw = (await readJson(path.resolve(opts.graph)).catch(() => {
    throw new ConfigError(`${opts.graph}: cannot read graph file`);
  })) as { pool?: string[] };
  const parsed = Graph.safeParse(raw);
  if (!parsed.success)
    throw new ConfigError(`${opts.graph}: not a magnet graph (${parsed.error.issues[0]?.message})`);
  const poolPaths = opts.pool?.map((p) => path.resolve(p)) ?? raw.pool;
  if (!poolPaths) throw new ConfigError('--pool is required (the graph does not record its pool)');
  const pool = indexPool(await loadPool(poolPaths));
  const ops = OpsConfig.parse({});
  for (let i = 0; i < opts.n; i++) {
    const plan = planConversation({
      graph: parsed.data,
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
