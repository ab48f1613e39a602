import type { Graph, Relation } from './graph';
import { GRAPH_PAGE_SCRIPT } from './graph-html-script';

/**
 * A self-contained HTML page drawing a graph (or one category of it): the drawing libraries' sources are
 * passed in and inlined, so the page works offline, from a file, attached to an issue. Each category is a
 * panel laid out by ELK's layered algorithm (the functions as boxes holding their names, so no two names can
 * overlap), the panels packed into a grid fitting the window; edges between categories are bundled into one
 * line per pair of categories. Edges are coloured by relation (the same colours as the DOT output); a search
 * box highlights functions by name; clicking a function focuses it and its neighbours and shows its
 * candidates and edges; clicking an edge shows its feeds and evidence. Pure: the caller reads the libraries
 * and writes the file.
 */

export const RELATION_COLOURS: Record<Relation, string> = {
  precondition: '#666666',
  input: '#1f4fd6',
  partial_input: '#1a7f37',
};

/** The browser builds the page inlines: cytoscape draws, elkjs (elk.bundled.js) lays out. */
export interface DrawingLibraries {
  cytoscape: string;
  elk: string;
}

/** JSON safe inside a <script> element: no "</script>", no "<!--", no U+2028/2029 line breaks. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string,
  );
}

/** A library's source inside a <script> element: a "</script" in a string would end the element. */
function inlineScript(source: string): string {
  return `<script>${source.replace(/<\/script/gi, '<\\/script')}</script>`;
}

/**
 * The elements the page draws: a category box per category when several are drawn, the functions, every
 * edge, and one bundle per ordered pair of categories that has edges between them. An edge between
 * categories is hidden until one of its ends is focused: drawn one by one they would cross the panels.
 */
export function graphElements(graph: Graph, category?: string): object[] {
  const nodes = graph.nodes.filter((n) => category === undefined || n.category === category);
  const categoryOf = new Map(nodes.map((n) => [n.name, n.category]));
  const edges = graph.edges.filter((e) => categoryOf.has(e.from) && categoryOf.has(e.to));
  const categories = [...new Set(nodes.map((n) => n.category))].sort();
  const boxed = categories.length > 1;
  const bundles = new Map<string, { from: string; to: string; edges: string[] }>();
  for (const e of edges) {
    const [from, to] = [categoryOf.get(e.from) as string, categoryOf.get(e.to) as string];
    if (from === to) continue;
    const key = JSON.stringify([from, to]);
    const bundle = bundles.get(key) ?? { from, to, edges: [] };
    bundle.edges.push(`${e.from} -> ${e.to} [${e.relation}]`);
    bundles.set(key, bundle);
  }
  return [
    ...(boxed ? categories.map((c) => ({ data: { id: `category:${c}`, label: c, kind: 'category' } })) : []),
    ...nodes.map((n) => ({
      data: {
        id: n.name,
        label: n.name,
        kind: 'function',
        category: n.category,
        candidates: graph.candidates[n.name] ?? [],
        ...(boxed ? { parent: `category:${n.category}` } : {}),
      },
    })),
    ...edges.map((e, i) => ({
      data: {
        id: `e${i}`,
        kind: 'dependency',
        source: e.from,
        target: e.to,
        relation: e.relation,
        feeds: e.feeds.map((f) => `${f.field} -> ${f.param}`),
        reason: e.reason ?? '',
        colour: RELATION_COLOURS[e.relation],
      },
      classes: categoryOf.get(e.from) === categoryOf.get(e.to) ? '' : 'cross',
    })),
    ...[...bundles.values()].map((b, i) => ({
      data: {
        id: `b${i}`,
        kind: 'bundle',
        source: `category:${b.from}`,
        target: `category:${b.to}`,
        count: b.edges.length,
        edges: b.edges,
      },
    })),
  ];
}

/**
 * The page. `category` limits the drawing to one category (an unknown one is an error naming the known
 * ones).
 */
export function graphHtml(
  graph: Graph,
  opts: { libraries: DrawingLibraries; category?: string; title?: string },
): string {
  const categories = [...new Set(graph.nodes.map((n) => n.category))].sort();
  if (opts.category !== undefined && !categories.includes(opts.category))
    throw new Error(`no category ${opts.category} in the graph (categories: ${categories.join(', ')})`);
  const elements = graphElements(graph, opts.category);
  const functions = graph.nodes.filter((n) => opts.category === undefined || n.category === opts.category);
  const edges = elements.filter((e) => (e as { data: { kind: string } }).data.kind === 'dependency');
  const title =
    opts.title ??
    `magnet dependency graph${opts.category !== undefined ? `: ${opts.category}` : ''} (${functions.length} functions, ${edges.length} edges)`;
  const legend = (Object.entries(RELATION_COLOURS) as [Relation, string][])
    .map(([r, c]) => `<span><span class="swatch" style="background:${c}"></span>${r}</span>`)
    .join(' ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>
  html, body { margin: 0; height: 100%; font: 13px system-ui, sans-serif; }
  #top { display: flex; align-items: center; gap: 12px; height: 34px; box-sizing: border-box; padding: 0 10px; border-bottom: 1px solid #ddd; white-space: nowrap; overflow: hidden; }
  #search { width: 200px; }
  #found { color: #555; min-width: 70px; }
  #main { display: flex; height: calc(100% - 34px); }
  #cy { flex: 1; min-width: 0; }
  #info { display: none; width: 300px; flex: none; overflow: auto; padding: 8px; border-left: 1px solid #ddd; white-space: pre-wrap; font-size: 12px; }
  #hint { color: #555; }
  .swatch { display: inline-block; width: 18px; height: 4px; margin-right: 4px; vertical-align: middle; }
</style>
</head>
<body>
<div id="top"><b>${escapeHtml(title)}</b> <input id="search" type="search" placeholder="search functions" title="Enter focuses the first match" aria-label="search functions"> <span id="found"></span> ${legend} <span>judge ${escapeHtml(graph.judge)}</span> <span id="hint">click to focus, background to see all</span></div>
<div id="main"><div id="cy"></div><div id="info"></div></div>
${inlineScript(opts.libraries.cytoscape)}
<!-- elkjs, the Eclipse Layout Kernel for JavaScript: Eclipse Public License 2.0 (or GPL-3.0-or-later); its source is the npm package elkjs -->
${inlineScript(opts.libraries.elk)}
<script>
var MAGNET_ELEMENTS = ${scriptJson(elements)};
${GRAPH_PAGE_SCRIPT}
</script>
</body>
</html>
`;
}
