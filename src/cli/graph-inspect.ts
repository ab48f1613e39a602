import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Graph } from '../core/graph';
import { evaluateGraph, GraphReference, referenceProblems, type GraphEval } from '../core/graph-eval';
import { graphHtml, type DrawingLibraries } from '../core/graph-html';
import { ConfigError } from '../io/config-file';
import { readJson, writeAtomic } from '../io/files';

/** `magnet graph eval`, `show` and `draw`: reading a graph file and saying (or drawing) what is in it. */

/** A graph file as `magnet graph` or a run writes it (plus the pool it records, when it does). */
export async function readGraphFile(file: string): Promise<{ graph: Graph; pool?: string[] }> {
  const raw = (await readJson(path.resolve(file)).catch(() => {
    throw new ConfigError(`${file}: cannot read graph file`);
  })) as { pool?: unknown };
  const parsed = Graph.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(
      `${file}: not a magnet graph (${issue?.path.join('.') || 'root'}: ${issue?.message})`,
    );
  }
  const pool = Array.isArray(raw.pool)
    ? raw.pool.filter((p): p is string => typeof p === 'string')
    : undefined;
  return { graph: parsed.data, pool };
}

export async function readReference(file: string): Promise<GraphReference> {
  const raw = await readJson(path.resolve(file)).catch(() => {
    throw new ConfigError(`${file}: cannot read reference file`);
  });
  const parsed = GraphReference.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(
      `${file}: not a graph reference (${issue?.path.join('.') || 'root'}: ${issue?.message})`,
    );
  }
  return parsed.data;
}

export async function evalGraphFile(opts: {
  graph: string;
  reference: string;
  json?: boolean;
  verbose?: boolean;
}): Promise<GraphEval> {
  const { graph } = await readGraphFile(opts.graph);
  const ref = await readReference(opts.reference);
  const problems = referenceProblems(graph, ref);
  if (problems.length > 0)
    throw new ConfigError(
      `${opts.reference}: does not fit ${opts.graph}: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ''}`,
    );
  const r = evaluateGraph(graph, ref);
  if (opts.json) {
    console.log(JSON.stringify({ judge: graph.judge, ...r }, null, 1));
    return r;
  }
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
  console.log(`graph ${opts.graph} (judge ${graph.judge}) against ${opts.reference}`);
  console.log(`  recall:    ${pct(r.recall)} (${r.found} of ${r.referenceEdges} reference edges)`);
  console.log(
    `  precision: ${pct(r.precision)} (${r.graphEdges - r.implausible.length} of ${r.graphEdges} edges in the reference)`,
  );
  console.log(`  relation as in the reference: ${r.relationAgrees} of ${r.found} found`);
  console.log(
    `  isolated functions: ${r.isolated.length}${r.isolated.length ? ` (${r.isolated.join(', ')})` : ''}`,
  );
  if (r.isolatedButNeeded.length)
    console.log(`  isolated but used by the reference: ${r.isolatedButNeeded.join(', ')}`);
  const limit = opts.verbose ? Infinity : 15;
  const list = (title: string, lines: string[]): void => {
    if (lines.length === 0) return;
    console.log(`  ${title} (${lines.length}):`);
    for (const l of lines.slice(0, limit)) console.log(`    ${l}`);
    if (lines.length > limit) console.log(`    ... ${lines.length - limit} more (--verbose lists all)`);
  };
  list(
    'missed',
    r.missed.map(
      (e) => `${e.from} -> ${e.to}${e.relation ? ` [${e.relation}]` : ''}${e.why ? `: ${e.why}` : ''}`,
    ),
  );
  list(
    'not in the reference',
    r.implausible.map((e) => `${e.from} -> ${e.to} [${e.relation}]${e.reason ? `: ${e.reason}` : ''}`),
  );
  return r;
}

/** `magnet graph show G --function F`: F's candidates and, for each, the edge judged (with evidence) or none. */
export async function showGraphFunction(opts: {
  graph: string;
  function: string;
  json?: boolean;
}): Promise<void> {
  const { graph } = await readGraphFile(opts.graph);
  const node = graph.nodes.find((n) => n.name === opts.function);
  if (!node) {
    const near = graph.nodes
      .map((n) => n.name)
      .filter((n) => n.toLowerCase().includes(opts.function.toLowerCase()))
      .slice(0, 5);
    throw new ConfigError(
      `${opts.graph}: no function ${opts.function}${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}`,
    );
  }
  const out = graph.edges.filter((e) => e.from === node.name);
  const inn = graph.edges.filter((e) => e.to === node.name);
  const candidates = graph.candidates[node.name] ?? [];
  if (opts.json) {
    console.log(JSON.stringify({ function: node, candidates, out, in: inn }, null, 1));
    return;
  }
  const edgeLine = (e: Graph['edges'][number], other: string): string => {
    const feeds = e.feeds.length ? ` feeds ${e.feeds.map((f) => `${f.field}->${f.param}`).join(', ')}` : '';
    return `${other} [${e.relation}]${feeds}${e.reason ? `\n        evidence: ${e.reason}` : ''}`;
  };
  console.log(`${node.name} (category ${node.category}; judge ${graph.judge})`);
  console.log(`  candidates judged (${candidates.length}):`);
  const byTarget = new Map(out.map((e) => [e.to, e]));
  for (const c of candidates) {
    const e = byTarget.get(c);
    console.log(`    -> ${e ? edgeLine(e, c) : `${c}: no edge`}`);
  }
  const stray = out.filter((e) => !candidates.includes(e.to));
  for (const e of stray) console.log(`    -> ${edgeLine(e, e.to)} (not a candidate)`);
  console.log(`  edges in (${inn.length}):`);
  for (const e of inn) console.log(`    <- ${edgeLine(e, e.from)}`);
}

/** The browser builds of the drawing libraries, inlined into every page so that it works offline. */
async function drawingLibraries(): Promise<DrawingLibraries> {
  const [cytoscape, elk] = await Promise.all(
    ['cytoscape/dist/cytoscape.min.js', 'elkjs/lib/elk.bundled.js'].map((m) =>
      fs.readFile(require.resolve(m), 'utf8'),
    ),
  );
  return { cytoscape: cytoscape as string, elk: elk as string };
}

/** Writes the self-contained HTML drawing of a graph, or of one of its categories. */
export async function writeGraphHtml(graph: Graph, file: string, category?: string): Promise<void> {
  let html: string;
  try {
    html = graphHtml(graph, { libraries: await drawingLibraries(), category });
  } catch (e) {
    throw new ConfigError(`--category: ${(e as Error).message}`);
  }
  await writeAtomic(path.resolve(file), html);
  console.log(`drawing${category !== undefined ? ` of ${category}` : ''} -> ${file}`);
}

/** `magnet graph draw G --html F`: the drawing of a graph file written earlier. */
export async function drawGraphFile(opts: { graph: string; html: string; category?: string }): Promise<void> {
  const { graph } = await readGraphFile(opts.graph);
  await writeGraphHtml(graph, opts.html, opts.category);
}
