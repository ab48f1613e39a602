import type { Graph, Relation } from './graph';

/**
 * A self-contained HTML page drawing a graph (or one category of it): the drawing library's source is
 * passed in and inlined, so the page works offline, from a file, attached to an issue. Edges are coloured by
 * relation (the same colours as the DOT output); clicking a node or an edge shows its candidates, feeds and
 * evidence. Pure: the caller reads the library and writes the file.
 */

export const RELATION_COLOURS: Record<Relation, string> = {
  precondition: '#666666',
  input: '#1f4fd6',
  partial_input: '#1a7f37',
};

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

/**
 * The page. `category` limits the drawing to one category (an unknown one is an error naming the known
 * ones); `library` is the source of cytoscape's browser build.
 */
export function graphHtml(
  graph: Graph,
  opts: { library: string; category?: string; title?: string },
): string {
  const categories = [...new Set(graph.nodes.map((n) => n.category))].sort();
  if (opts.category !== undefined && !categories.includes(opts.category))
    throw new Error(`no category ${opts.category} in the graph (categories: ${categories.join(', ')})`);
  const nodes = graph.nodes.filter((n) => opts.category === undefined || n.category === opts.category);
  const names = new Set(nodes.map((n) => n.name));
  const edges = graph.edges.filter((e) => names.has(e.from) && names.has(e.to));
  const shownCategories = [...new Set(nodes.map((n) => n.category))].sort();
  const elements = [
    // one compound box per category when several are drawn
    ...(shownCategories.length > 1
      ? shownCategories.map((c) => ({ data: { id: `category:${c}`, label: c, kind: 'category' } }))
      : []),
    ...nodes.map((n) => ({
      data: {
        id: n.name,
        label: n.name,
        kind: 'function',
        category: n.category,
        candidates: graph.candidates[n.name] ?? [],
        ...(shownCategories.length > 1 ? { parent: `category:${n.category}` } : {}),
      },
    })),
    ...edges.map((e, i) => ({
      data: {
        id: `e${i}`,
        source: e.from,
        target: e.to,
        relation: e.relation,
        feeds: e.feeds.map((f) => `${f.field} -> ${f.param}`),
        reason: e.reason ?? '',
        colour: RELATION_COLOURS[e.relation],
      },
    })),
  ];
  const title =
    opts.title ??
    `magnet dependency graph${opts.category !== undefined ? `: ${opts.category}` : ''} (${nodes.length} functions, ${edges.length} edges)`;
  const legend = (Object.entries(RELATION_COLOURS) as [Relation, string][])
    .map(([r, c]) => `<span class="rel"><span class="swatch" style="background:${c}"></span>${r}</span>`)
    .join(' ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>
  html, body { margin: 0; height: 100%; font: 13px system-ui, sans-serif; }
  #top { padding: 6px 10px; border-bottom: 1px solid #ddd; }
  #main { display: flex; height: calc(100% - 34px); }
  #cy { flex: 1; }
  #info { width: 320px; overflow: auto; padding: 8px; border-left: 1px solid #ddd; white-space: pre-wrap; }
  .rel { margin-left: 12px; } .swatch { display: inline-block; width: 18px; height: 4px; margin-right: 4px; vertical-align: middle; }
</style>
</head>
<body>
<div id="top"><b>${escapeHtml(title)}</b> ${legend} <span class="rel">judge ${escapeHtml(graph.judge)}</span></div>
<div id="main"><div id="cy"></div><div id="info">Click a function or an edge to see its candidates, feeds and evidence.</div></div>
<script>${opts.library.replace(/<\/script/gi, '<\\/script')}</script>
<script>
(function () {
  var elements = ${scriptJson(elements)};
  var cy = cytoscape({
    container: document.getElementById('cy'),
    elements: elements,
    style: [
      { selector: 'node[kind = "function"]', style: { label: 'data(label)', 'font-size': 10, 'background-color': '#9db4d9', width: 18, height: 18, 'text-valign': 'bottom' } },
      { selector: 'node[kind = "category"]', style: { label: 'data(label)', 'text-valign': 'top', 'background-color': '#f4f4f4', 'border-color': '#bbb', 'border-width': 1 } },
      { selector: 'edge', style: { width: 1.5, 'line-color': 'data(colour)', 'target-arrow-color': 'data(colour)', 'target-arrow-shape': 'triangle', 'curve-style': 'bezier', 'arrow-scale': 0.8 } },
      { selector: 'edge[relation = "precondition"]', style: { 'line-style': 'dashed' } },
      { selector: ':selected', style: { 'overlay-opacity': 0.2 } }
    ],
    // a ring for one category (its functions are densely linked, a ring keeps every edge visible); a
    // force layout when categories are drawn as boxes
    layout: ${shownCategories.length > 1 ? "{ name: 'cose', animate: false, randomize: false, padding: 20 }" : "{ name: 'circle', padding: 40, avoidOverlap: true }"},
    maxZoom: 1.6
  });
  var info = document.getElementById('info');
  cy.on('tap', 'edge', function (evt) {
    var d = evt.target.data();
    info.textContent = d.source + ' -> ' + d.target + '\\n[' + d.relation + ']' +
      (d.feeds.length ? '\\nfeeds: ' + d.feeds.join(', ') : '') + (d.reason ? '\\n\\nevidence: ' + d.reason : '');
  });
  cy.on('tap', 'node[kind = "function"]', function (evt) {
    var n = evt.target;
    var out = n.outgoers('edge').map(function (e) { return '  -> ' + e.data('target') + ' [' + e.data('relation') + ']'; });
    var inn = n.incomers('edge').map(function (e) { return '  <- ' + e.data('source') + ' [' + e.data('relation') + ']'; });
    info.textContent = n.id() + ' (' + n.data('category') + ')\\ncandidates: ' + n.data('candidates').join(', ') +
      '\\n\\nedges out (' + out.length + '):\\n' + out.join('\\n') + '\\n\\nedges in (' + inn.length + '):\\n' + inn.join('\\n');
  });
  window.magnetGraph = { cy: cy, nodes: cy.nodes('[kind = "function"]').length, edges: cy.edges().length };
})();
</script>
</body>
</html>
`;
}
