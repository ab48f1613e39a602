import { schemaAtField } from './fields';
import { elementSchema, type FunctionDef } from './pool';
import { fieldMatch, type Field } from './affinity';
import { candidateSelector } from './candidates';
import { judgePair, typeOf } from './graph-judge';
import type { Edge, Feed, Graph, GraphConfig, GraphStats, Relation } from './graph-schema';

// graph.ts is the top of the graph modules: it imports the judge, the affinity and the candidate selector
// and re-exports what other folders use, so none of them imports it back (the schemas they share are in
// graph-schema.ts).
export { Edge, Feed, Graph, GraphConfig, GraphStats, Relation } from './graph-schema';
export { fieldMatch, inputParams, outputFields } from './affinity';
export { candidateSelector, selectCandidates } from './candidates';

/**
 * The offline dependency judge: decides edges from names, types and descriptions, each edge with the
 * evidence that produced it (the rules are in `graph-judge.ts`). It is what the demo and tests use; an LLM
 * judge replaces it through the same signature (one call per function, all its candidates). A data link is
 * listed in `feeds` only when the offline translator's matcher (`fieldMatch`) passes it as a value, so an
 * offline conversation never plans a value it cannot fill.
 */
export function offlineJudge(v: FunctionDef, candidates: readonly FunctionDef[]): Edge[] {
  const resolvable = (f: Field, p: Field): boolean => fieldMatch(f, p) >= 0.7;
  const edges: Edge[] = [];
  for (const u of candidates) {
    if (u.name === v.name) continue;
    const e = judgePair(v, u, resolvable);
    if (e) edges.push({ from: v.name, to: u.name, ...e });
  }
  return edges;
}

/**
 * Why a feed cannot be right: the parameter does not exist, the field is not in the source's output (when it
 * has an output schema; the field is a path, `books[].book_id` a field of the elements of books, see
 * `core/fields`), or a string would be passed as a number (or the like). Integer and number are one type.
 */
function feedProblem(v: FunctionDef, u: FunctionDef, feeds: readonly Feed[]): string | undefined {
  for (const f of feeds) {
    const param = u.parameters.properties[f.param];
    if (!param) return `${u.name} has no parameter ${f.param}`;
    if (!v.output) continue;
    const schema = schemaAtField(v.output, f.field);
    if (!schema) return `${v.name}'s output has no field ${f.field}`;
    const ft = typeOf(schema);
    const pt = typeOf(param);
    // one element of an array of ids may feed an id
    const ok =
      !ft ||
      !pt ||
      ft === pt ||
      (ft === 'array' && (!typeOf(elementSchema(schema)) || typeOf(elementSchema(schema)) === pt));
    if (!ok) return `${v.name}.${f.field} is ${ft}, ${u.name}.${f.param} is ${pt}`;
  }
  return undefined;
}

/**
 * Keeps only edges a judge may legally propose: target among the candidates, fed params that exist on the
 * target. Returns the rejected ones with the reason so a caller can report or repair them.
 */
export function checkJudged(
  v: FunctionDef,
  candidates: readonly FunctionDef[],
  edges: readonly Edge[],
): { edges: Edge[]; rejected: { edge: Edge; reason: string }[] } {
  const byName = new Map(candidates.map((c) => [c.name, c]));
  const ok: Edge[] = [];
  const rejected: { edge: Edge; reason: string }[] = [];
  const seen = new Set<string>();
  for (const e of edges) {
    const u = byName.get(e.to);
    if (e.from !== v.name) rejected.push({ edge: e, reason: `edge starts at ${e.from}, not ${v.name}` });
    else if (!u) rejected.push({ edge: e, reason: `${e.to} is not a candidate of ${v.name}` });
    else if (seen.has(e.to)) rejected.push({ edge: e, reason: `duplicate edge to ${e.to}` });
    else {
      const bad = feedProblem(v, u, e.feeds);
      if (bad) rejected.push({ edge: e, reason: bad });
      else {
        seen.add(e.to);
        ok.push(e);
      }
    }
  }
  return { edges: ok, rejected };
}

function degreeStats(values: number[]): GraphStats['outDegree'] {
  if (values.length === 0) return { min: 0, max: 0, mean: 0, median: 0 };
  const s = values.slice().sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return { min: s[0] as number, max: s[s.length - 1] as number, mean: Math.round(mean * 100) / 100, median };
}

export function graphStats(nodes: Graph['nodes'], edges: readonly Edge[]): GraphStats {
  const out = new Map(nodes.map((n) => [n.name, 0]));
  const inn = new Map(nodes.map((n) => [n.name, 0]));
  const byRelation: Record<string, number> = { precondition: 0, input: 0, partial_input: 0 };
  const category = new Map(nodes.map((n) => [n.name, n.category]));
  const categories: GraphStats['categories'] = {};
  for (const n of nodes) {
    const c = (categories[n.category] ??= { nodes: 0, edges: 0 });
    c.nodes++;
  }
  for (const e of edges) {
    out.set(e.from, (out.get(e.from) ?? 0) + 1);
    inn.set(e.to, (inn.get(e.to) ?? 0) + 1);
    byRelation[e.relation] = (byRelation[e.relation] ?? 0) + 1;
    const c = categories[category.get(e.from) ?? ''];
    if (c) c.edges++;
  }
  const names = nodes.map((n) => n.name);
  return {
    nodes: nodes.length,
    edges: edges.length,
    byRelation,
    outDegree: degreeStats(names.map((n) => out.get(n) ?? 0)),
    inDegree: degreeStats(names.map((n) => inn.get(n) ?? 0)),
    isolated: names.filter((n) => !out.get(n) && !inn.get(n)).length,
    withOutEdges: names.filter((n) => (out.get(n) ?? 0) > 0).length,
    categories,
  };
}

export function assembleGraph(
  functions: readonly FunctionDef[],
  candidates: Record<string, string[]>,
  edges: Edge[],
  config: GraphConfig,
  judge: string,
): Graph {
  const nodes = functions.map((f) => ({ name: f.name, category: f.category }));
  const sorted = edges
    .slice()
    .sort((a, b) => (a.from === b.from ? (a.to < b.to ? -1 : 1) : a.from < b.from ? -1 : 1));
  return { version: 1, judge, config, nodes, candidates, edges: sorted, stats: graphStats(nodes, sorted) };
}

export function outEdges(graph: Pick<Graph, 'edges'>): Map<string, Edge[]> {
  const m = new Map<string, Edge[]>();
  for (const e of graph.edges) {
    const list = m.get(e.from);
    if (list) list.push(e);
    else m.set(e.from, [e]);
  }
  return m;
}

/** Graphviz rendering, coloured by relation. */
export function toDot(graph: Graph): string {
  const colour: Record<Relation, string> = {
    precondition: 'gray40',
    input: 'blue',
    partial_input: 'darkgreen',
  };
  const lines = ['digraph magnet {', '  rankdir=LR; node [shape=box, fontsize=10];'];
  const byCat = new Map<string, string[]>();
  for (const n of graph.nodes) byCat.set(n.category, [...(byCat.get(n.category) ?? []), n.name]);
  let i = 0;
  for (const [cat, names] of byCat) {
    lines.push(`  subgraph cluster_${i++} { label=${JSON.stringify(cat)};`);
    for (const n of names) lines.push(`    ${JSON.stringify(n)};`);
    lines.push('  }');
  }
  for (const e of graph.edges) {
    const label = e.feeds.map((f) => f.param).join(',');
    lines.push(
      `  ${JSON.stringify(e.from)} -> ${JSON.stringify(e.to)} [color=${colour[e.relation]}, label=${JSON.stringify(label)}];`,
    );
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

/** The whole graph with the offline judge, in one pass (the CLI's `magnet graph` without an LLM). */
export function buildGraphOffline(functions: readonly FunctionDef[], config: GraphConfig): Graph {
  const candidates: Record<string, string[]> = {};
  const edges: Edge[] = [];
  const byName = new Map(functions.map((f) => [f.name, f]));
  const selector = candidateSelector(functions, config);
  for (const [i, v] of functions.entries()) {
    const names = selector.select(i);
    candidates[v.name] = names;
    const cands = names.map((n) => byName.get(n) as FunctionDef);
    edges.push(...checkJudged(v, cands, offlineJudge(v, cands)).edges);
  }
  return assembleGraph(functions, candidates, edges, config, OFFLINE_JUDGE);
}

export const OFFLINE_JUDGE = 'offline-evidence/2';
