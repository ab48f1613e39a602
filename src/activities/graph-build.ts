import {
  assembleGraph,
  candidateSelector,
  checkJudged,
  Edge,
  toDot,
  type GraphConfig,
  type GraphStats,
} from '../core/graph';
import type { ResolvedRole } from '../core/config';
import { addUsage, NO_USAGE, type Usage } from '../llm/request';
import { ROLES, runRole } from '../roles';
import { lite } from '../roles/common';
import type { FunctionDef } from '../core/pool';
import { heartbeat } from '@temporalio/activity';
import { getJson, putJson, readArtifact, type Ref } from '../io/artifacts';
import { writeAtomic } from '../io/files';
import { runLayout } from '../io/run-layout';
import { poolIndex } from '../io/stored';
import { nonRetryableOn } from './errors';

/** Functions whose candidates are selected between two heartbeats (a few ms of work in a category of 100). */
const SELECT_CHUNK = 200;

/**
 * Candidate neighbours for every function (cheap, local); stored, since judging reads them in chunks. A big
 * pool takes seconds: the work goes in chunks, each followed by a heartbeat and a turn of the event loop, so
 * the worker keeps polling and heartbeating its other activities meanwhile.
 */
export async function selectCandidatesActivity(input: {
  storeDir: string;
  poolRef: Ref;
  config: GraphConfig;
}): Promise<{ candidatesRef: Ref; functions: number }> {
  const pool = [...(await poolIndex(input.storeDir, input.poolRef)).values()];
  const selector = candidateSelector(pool, input.config);
  const candidates: Record<string, string[]> = {};
  for (let start = 0; start < pool.length; start += SELECT_CHUNK) {
    const end = Math.min(pool.length, start + SELECT_CHUNK);
    for (let i = start; i < end; i++) candidates[(pool[i] as FunctionDef).name] = selector.select(i);
    heartbeat({ selected: end, of: pool.length });
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return { candidatesRef: await putJson(input.storeDir, candidates), functions: pool.length };
}

/** Judges functions [start, end): one judge request per function covering all its candidates. */
export async function judgeFunctionsActivity(input: {
  storeDir: string;
  poolRef: Ref;
  candidatesRef: Ref;
  start: number;
  end: number;
  judge: ResolvedRole;
}): Promise<{ edgesRef: Ref; edges: number; rejected: number; usage: Usage }> {
  return nonRetryableOn(async () => {
    const index = await poolIndex(input.storeDir, input.poolRef);
    const candidates = (await getJson(input.storeDir, input.candidatesRef)) as Record<string, string[]>;
    const names = [...index.keys()].slice(input.start, input.end);
    const edges: Edge[] = [];
    let rejected = 0;
    let usage = NO_USAGE;
    const judge = input.judge;
    for (const name of names) {
      const v = index.get(name) as FunctionDef;
      const cands = (candidates[name] ?? []).map((n) => index.get(n)).filter((f): f is FunctionDef => !!f);
      if (cands.length === 0) continue;
      // One request per function covering all of its candidates (the LLM judge is batched).
      const r = await runRole(judge, ROLES.dependency_judge, {
        function: lite(v),
        candidates: cands.map(lite),
      });
      usage = addUsage(usage, r.usage);
      const checked = checkJudged(v, cands, r.value);
      edges.push(...checked.edges);
      rejected += checked.rejected.length;
      heartbeat({ judged: name });
      // the offline judge never waits for I/O: let the worker poll and heartbeat between functions
      if (judge.provider === 'offline') await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return {
      edgesRef: await putJson(input.storeDir, edges),
      edges: edges.length,
      rejected,
      usage,
    };
  });
}

export async function assembleGraphActivity(input: {
  storeDir: string;
  poolRef: Ref;
  candidatesRef: Ref;
  edgeRefs: Ref[];
  config: GraphConfig;
  outDir: string;
  judge: string;
}): Promise<{ graphRef: Ref; stats: GraphStats; file: string }> {
  const index = await poolIndex(input.storeDir, input.poolRef);
  const candidates = (await getJson(input.storeDir, input.candidatesRef)) as Record<string, string[]>;
  const edges: Edge[] = [];
  // read afresh, not through getJson's cache: each chunk is read once here, and a big pool's chunks would
  // otherwise stay in memory twice (as read and as parsed) long after the graph is built
  for (const ref of input.edgeRefs)
    for (const e of Edge.array().parse(await readArtifact(input.storeDir, ref))) edges.push(e);
  const graph = assembleGraph([...index.values()], candidates, edges, input.config, input.judge);
  const layout = runLayout(input.outDir);
  await writeAtomic(layout.graph, JSON.stringify(graph, null, 1));
  await writeAtomic(layout.graphDot, toDot(graph));
  return { graphRef: await putJson(input.storeDir, graph), stats: graph.stats, file: layout.graph };
}
