import { z } from 'zod';
import { Relation, type Graph } from './graph';

/**
 * Measuring a dependency graph against a hand-checked reference. The reference has two lists: `edges`, the
 * consecutive calls real multi-turn tasks over the pool make (a graph that misses one can never teach it),
 * and `plausible`, edges a careful reader accepts but no task needs. Recall counts only `edges`; precision
 * counts a graph edge right when it is in either list, so a reference need not list every harmless edge to
 * be fair, and everything it leaves out counts as implausible. Direction matters; relations are reported
 * (how many found edges carry the reference's relation) but not scored, since a precondition that also
 * passes data is legitimately either.
 */
const RefEdge = z
  .object({
    from: z.string().min(1),
    to: z.string().min(1),
    relation: Relation.optional(),
    why: z.string().optional(),
  })
  .strict();
export type RefEdge = z.infer<typeof RefEdge>;

export const GraphReference = z
  .object({
    version: z.literal(1),
    pool: z.string().optional(),
    note: z.string().optional(),
    edges: z.array(RefEdge).min(1),
    plausible: z.array(RefEdge).default([]),
  })
  .strict();
export type GraphReference = z.infer<typeof GraphReference>;

export interface GraphEval {
  /** Reference edges the graph has / reference edges. */
  recall: number;
  /** Graph edges in the reference (required or plausible) / graph edges. */
  precision: number;
  referenceEdges: number;
  graphEdges: number;
  found: number;
  /** Found reference edges whose relation (when the reference gives one) matches. */
  relationAgrees: number;
  missed: RefEdge[];
  /** Graph edges the reference has in neither list. */
  implausible: { from: string; to: string; relation: Relation; reason?: string }[];
  /** Functions with no edge in or out. */
  isolated: string[];
  /** Functions with an edge in the reference but none in the graph. */
  isolatedButNeeded: string[];
}

const key = (from: string, to: string): string => `${from}\u0000${to}`;

/**
 * Problems that make a comparison meaningless: reference names the graph does not have (a reference for
 * another pool, or a typo) and edges listed twice. Each message names the list and the item.
 */
export function referenceProblems(graph: Pick<Graph, 'nodes'>, ref: GraphReference): string[] {
  const names = new Set(graph.nodes.map((n) => n.name));
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const list of ['edges', 'plausible'] as const) {
    ref[list].forEach((e, i) => {
      for (const end of ['from', 'to'] as const)
        if (!names.has(e[end]))
          problems.push(`${list}[${i}].${end}: ${e[end]} is not a function of the graph`);
      const k = key(e.from, e.to);
      const first = seen.get(k);
      if (first) problems.push(`${list}[${i}]: ${e.from} -> ${e.to} is already ${first}`);
      else seen.set(k, `${list}[${i}]`);
    });
  }
  return problems;
}

export function evaluateGraph(graph: Pick<Graph, 'nodes' | 'edges'>, ref: GraphReference): GraphEval {
  const have = new Map(graph.edges.map((e) => [key(e.from, e.to), e]));
  const required = new Set(ref.edges.map((e) => key(e.from, e.to)));
  const acceptable = new Set([...required, ...ref.plausible.map((e) => key(e.from, e.to))]);
  let found = 0;
  let relationAgrees = 0;
  const missed: RefEdge[] = [];
  for (const e of ref.edges) {
    const g = have.get(key(e.from, e.to));
    if (!g) missed.push(e);
    else {
      found++;
      if (!e.relation || e.relation === g.relation) relationAgrees++;
    }
  }
  const implausible = graph.edges
    .filter((e) => !acceptable.has(key(e.from, e.to)))
    .map((e) => ({ from: e.from, to: e.to, relation: e.relation, reason: e.reason }));
  const touched = new Set(graph.edges.flatMap((e) => [e.from, e.to]));
  const needed = new Set(ref.edges.flatMap((e) => [e.from, e.to]));
  const isolated = graph.nodes.map((n) => n.name).filter((n) => !touched.has(n));
  const round = (x: number): number => Math.round(x * 1000) / 1000;
  return {
    recall: round(ref.edges.length ? found / ref.edges.length : 1),
    precision: round(graph.edges.length ? (graph.edges.length - implausible.length) / graph.edges.length : 1),
    referenceEdges: ref.edges.length,
    graphEdges: graph.edges.length,
    found,
    relationAgrees,
    missed,
    implausible,
    isolated,
    isolatedButNeeded: isolated.filter((n) => needed.has(n)),
  };
}
