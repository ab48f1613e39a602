/**
 * The script of the graph page (graph-html.ts), run in the browser after cytoscape and elkjs, with the
 * elements in MAGNET_ELEMENTS. Kept apart from the page's HTML so each reads on its own.
 *
 * Why it lays out in the page rather than when the file is written: a function's box must be as wide as its
 * name drawn in the browser's font, which only the browser knows (canvas measureText, as cytoscape measures).
 * Each name is drawn inside its box and ELK never overlaps boxes, so no two names overlap; the category
 * panels (ELK `layered`, top to bottom) are packed by ELK `rectpacking` towards the window's aspect ratio, and
 * their titles sit in the panels' top padding, so neither titles nor panels overlap. ELK is deterministic
 * (fixed seed), so the same graph and font give the same drawing.
 */
export const GRAPH_PAGE_SCRIPT = String.raw`
(function () {
  var elements = MAGNET_ELEMENTS;
  var FONT_SIZE = 12, FONT = 'Helvetica, Arial, sans-serif', PAD_X = 6, PAD_Y = 4;
  var TITLE_SIZE = 13, PANEL_PAD = 10, TITLE_SPACE = TITLE_SIZE + 8;
  var container = document.getElementById('cy');
  var info = document.getElementById('info');
  var measure = document.createElement('canvas').getContext('2d');
  function textWidth(text, font) {
    measure.font = font;
    return Math.ceil(measure.measureText(text).width);
  }
  function kind(k) { return elements.filter(function (e) { return e.data.kind === k; }); }
  var functions = kind('function'), categories = kind('category'), dependencies = kind('dependency');
  var parentOf = {};
  functions.forEach(function (f) {
    parentOf[f.data.id] = f.data.parent;
    f.data.w = textWidth(f.data.label, FONT_SIZE + 'px ' + FONT) + 2 * PAD_X;
    f.data.h = FONT_SIZE + 2 * PAD_Y;
  });
  // Tight spacings, orthogonal routes and edges into one port merged (drawn as one line where they run
  // together): measured on the 128-function pool of the browser test, this draws names at 9.4 px where
  // ELK's default spacings and polyline routes drew them at 4.4 px, the edges' room taking the rest.
  var layered = {
    'elk.algorithm': 'layered',
    'elk.direction': 'DOWN',
    'elk.edgeRouting': 'ORTHOGONAL',
    'elk.layered.mergeEdges': 'true',
    'elk.spacing.nodeNode': '4',
    'elk.spacing.edgeNode': '4',
    'elk.spacing.edgeEdge': '1',
    'elk.layered.spacing.nodeNodeBetweenLayers': '8',
    'elk.layered.spacing.edgeNodeBetweenLayers': '4',
    'elk.layered.spacing.edgeEdgeBetweenLayers': '1',
    'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX',
    'elk.layered.compaction.postCompaction.strategy': 'EDGE_LENGTH',
    'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
    'elk.contentAlignment': 'H_CENTER V_TOP'
  };
  // One category alone has the window to itself: room for every edge on its own polyline route.
  var roomy = {
    'elk.edgeRouting': 'POLYLINE',
    'elk.layered.mergeEdges': 'false',
    'elk.spacing.nodeNode': '12',
    'elk.spacing.edgeNode': '10',
    'elk.spacing.edgeEdge': '6',
    'elk.layered.spacing.nodeNodeBetweenLayers': '26',
    'elk.layered.spacing.edgeNodeBetweenLayers': '8',
    'elk.layered.spacing.edgeEdgeBetweenLayers': '6'
  };
  // one ELK graph per category (a panel), or one for all when a single category is drawn
  function panelGraph(category) {
    var options = Object.assign({}, layered, category ? {} : roomy);
    if (category) {
      // the title sits in the top padding; a panel is at least as wide as its title
      category.data.titleWidth = textWidth(category.data.label, 'bold ' + TITLE_SIZE + 'px ' + FONT) + 8;
      options['elk.padding'] = '[top=' + (TITLE_SPACE + PANEL_PAD) + ',left=' + (PANEL_PAD + 2) + ',bottom=' + (PANEL_PAD + 2) + ',right=' + (PANEL_PAD + 2) + ']';
      options['elk.nodeSize.constraints'] = 'MINIMUM_SIZE';
      options['elk.nodeSize.minimum'] = '(' + (category.data.titleWidth + 2 * PANEL_PAD + 4) + ',' + (TITLE_SPACE + 2 * PANEL_PAD) + ')';
    } else options['elk.padding'] = '[top=8,left=8,bottom=8,right=8]';
    var id = category ? category.data.id : undefined;
    return {
      id: id || 'all',
      layoutOptions: options,
      children: functions.filter(function (f) { return f.data.parent === id; })
        .map(function (f) { return { id: f.data.id, width: f.data.w, height: f.data.h }; }),
      edges: dependencies.filter(function (e) { return parentOf[e.data.source] === id && parentOf[e.data.target] === id; })
        .map(function (e) { return { id: e.data.id, sources: [e.data.source], targets: [e.data.target] }; })
    };
  }
  // The panels packed in rows by ELK rectpacking: its own aspect-ratio goal leaves the window half empty,
  // so a few row widths are tried and the one letting the drawing fit the window largest is kept.
  function pack(panels) {
    var boxes = panels.map(function (p) { return { id: p.id, width: p.width, height: p.height }; });
    var widest = Math.max.apply(null, boxes.map(function (b) { return b.width; }));
    var total = boxes.reduce(function (sum, b) { return sum + b.width; }, 0);
    var widths = [];
    for (var i = 0; i <= 12; i++) widths.push(widest * Math.pow(total / widest + 0.01, i / 12));
    return Promise.all(widths.map(function (w) {
      return elk.layout({
        id: 'panels',
        layoutOptions: {
          'elk.algorithm': 'rectpacking',
          'elk.rectpacking.widthApproximation.strategy': 'TARGET_WIDTH',
          'elk.rectpacking.widthApproximation.targetWidth': String(w),
          'elk.spacing.nodeNode': '14',
          'elk.padding': '[top=4,left=4,bottom=4,right=4]'
        },
        children: boxes.map(function (b) { return Object.assign({}, b); })
      });
    })).then(function (packings) {
      var scale = function (p) { return Math.min(container.clientWidth / p.width, container.clientHeight / p.height); };
      var best = packings.reduce(function (a, b) { return scale(b) > scale(a) ? b : a; });
      var at = {};
      best.children.forEach(function (c) { at[c.id] = { x: c.x, y: c.y }; });
      return panels.map(function (p) { return at[p.id]; });
    });
  }

  var elk = new ELK();
  var groups = categories.length ? categories : [undefined];
  Promise.all(groups.map(function (c) { return elk.layout(panelGraph(c)); }))
    .then(function (panels) {
      if (!categories.length) return draw(panels, [{ x: 0, y: 0 }]);
      return pack(panels).then(function (offsets) { draw(panels, offsets); });
    })
    .catch(function (err) {
      info.textContent = 'layout failed: ' + (err && err.message || err);
      info.style.display = 'block';
      console.error(err);
    });

  function draw(panels, offsets) {
    var position = {}, routes = {};
    panels.forEach(function (panel, i) {
      var dx = offsets[i].x, dy = offsets[i].y;
      panel.children.forEach(function (c) { position[c.id] = { x: dx + c.x + c.width / 2, y: dy + c.y + c.height / 2 }; });
      (panel.edges || []).forEach(function (e) {
        var sections = e.sections || [];
        if (!sections.length) return;
        var shift = function (p) { return { x: dx + p.x, y: dy + p.y }; };
        var bendPoints = [];
        sections.forEach(function (s) { (s.bendPoints || []).forEach(function (p) { bendPoints.push(shift(p)); }); });
        routes[e.id] = { start: shift(sections[0].startPoint), end: shift(sections[sections.length - 1].endPoint), bends: bendPoints };
      });
    });
    functions.forEach(function (f) { f.position = position[f.data.id]; });
    var cy = cytoscape({
      container: container,
      elements: elements,
      layout: { name: 'preset', fit: true, padding: 12 },
      minZoom: 0.05,
      maxZoom: 1.6,
      style: [
        { selector: 'node[kind = "function"]', style: {
          label: 'data(label)', 'font-size': FONT_SIZE, 'font-family': FONT, 'text-valign': 'center', 'text-halign': 'center',
          shape: 'round-rectangle', width: 'data(w)', height: 'data(h)', 'background-color': '#e3ebf8', 'border-color': '#7f9cc9', 'border-width': 1, color: '#111' } },
        { selector: 'node[kind = "category"]', style: {
          label: 'data(label)', 'font-size': TITLE_SIZE, 'font-weight': 'bold', 'font-family': FONT, 'text-valign': 'top', 'text-halign': 'center',
          'text-margin-y': -2, padding: PANEL_PAD, 'background-color': '#f6f6f6', 'border-color': '#bbb', 'border-width': 1, color: '#333' } },
        { selector: 'edge[kind = "dependency"]', style: {
          width: 1.2, 'line-color': 'data(colour)', 'target-arrow-color': 'data(colour)', 'target-arrow-shape': 'triangle', 'arrow-scale': 0.7,
          'curve-style': 'straight', opacity: 0.75 } },
        { selector: 'edge[relation = "precondition"]', style: { 'line-style': 'dashed' } },
        { selector: 'edge.cross', style: { display: 'none' } },
        { selector: 'edge.cross.shown', style: { display: 'element', 'curve-style': 'bezier' } },
        { selector: 'edge[kind = "bundle"]', style: {
          width: 'mapData(count, 1, 30, 2, 9)', 'line-color': '#8a8a8a', 'target-arrow-color': '#8a8a8a', 'target-arrow-shape': 'triangle',
          'curve-style': 'bezier', opacity: 0.45 } },
        { selector: '.faded', style: { opacity: 0.15 } },
        { selector: 'node.match', style: { 'border-color': '#d62f1f', 'border-width': 3 } },
        { selector: 'node.focus', style: { 'border-color': '#d62f1f', 'border-width': 3, 'background-color': '#ffe9c2' } },
        { selector: ':selected', style: { 'overlay-opacity': 0.15 } }
      ]
    });
    // A category box is its panel less the title strip, so the edges ELK routed around the functions stay
    // inside it: the box grows from the functions' extent to the panel's, on each side by what ELK left there.
    categories.forEach(function (c, i) {
      var panel = panels[i], at = offsets[i];
      var inner = { x1: at.x + 1 + PANEL_PAD, x2: at.x + panel.width - 1 - PANEL_PAD, y1: at.y + TITLE_SPACE + PANEL_PAD, y2: at.y + panel.height - 1 - PANEL_PAD };
      var box = cy.getElementById(c.data.id);
      var kids = box.children().boundingBox({ includeLabels: false, includeOverlays: false });
      var grow = function (dim, from, to, low, high) {
        var extra = (to - from) - (high - low), style = {};
        if (extra <= 0) return style;
        var before = Math.max(0, low - from), after = Math.max(0, to - high);
        style['min-' + dim] = to - from;
        style['min-' + dim + '-bias-' + (dim === 'width' ? 'left' : 'top')] = (100 * before / (before + after || 1)) + '%';
        style['min-' + dim + '-bias-' + (dim === 'width' ? 'right' : 'bottom')] = (100 * after / (before + after || 1)) + '%';
        return style;
      };
      box.style(Object.assign(grow('width', inner.x1, inner.x2, kids.x1, kids.x2), grow('height', inner.y1, inner.y2, kids.y1, kids.y2)));
    });
    cy.fit(undefined, 12);

    // ELK's routes as cytoscape draws them: the ends where ELK put them on the boxes (relative to the
    // centres; cytoscape would aim at the centres and could cross a box between), the bend points as
    // segments, each a weight along the line between the two centres and a distance off it
    cy.edges('[kind = "dependency"]').forEach(function (edge) {
      var route = routes[edge.id()];
      if (!route) return;
      var s = edge.source().position(), t = edge.target().position();
      var style = {
        'source-endpoint': (route.start.x - s.x) + 'px ' + (route.start.y - s.y) + 'px',
        'target-endpoint': (route.end.x - t.x) + 'px ' + (route.end.y - t.y) + 'px'
      };
      var dx = t.x - s.x, dy = t.y - s.y, len2 = dx * dx + dy * dy, len = Math.sqrt(len2);
      if (route.bends.length && len > 0) {
        var weights = [], distances = [];
        route.bends.forEach(function (p) {
          weights.push(((p.x - s.x) * dx + (p.y - s.y) * dy) / len2);
          distances.push(((p.y - s.y) * dx - (p.x - s.x) * dy) / len);
        });
        Object.assign(style, { 'curve-style': 'segments', 'edge-distances': 'node-position',
          'segment-weights': weights.join(' '), 'segment-distances': distances.join(' ') });
      }
      edge.style(style);
    });

    // the side panel opens with something to say and gives the drawing the whole width back when closed
    function say(text) {
      info.textContent = text;
      var open = text !== '';
      if ((info.style.display === 'block') !== open) {
        info.style.display = open ? 'block' : 'none';
        cy.resize();
      }
    }
    function clear() {
      cy.elements().removeClass('faded match focus shown');
      say('');
    }
    function showAll() {
      clear();
      cy.fit(undefined, 12);
    }
    function edgeLine(e, arrow, other) { return '  ' + arrow + ' ' + e.data(other) + ' [' + e.data('relation') + ']'; }
    function focusOn(node) {
      clear();
      var near = node.closedNeighborhood();
      near = near.union(near.nodes().parent());
      cy.elements().not(near).addClass('faded');
      near.edges('.cross').addClass('shown');
      node.addClass('focus');
      var out = node.outgoers('edge').map(function (e) { return edgeLine(e, '->', 'target'); });
      var inn = node.incomers('edge').map(function (e) { return edgeLine(e, '<-', 'source'); });
      say(node.id() + ' (' + node.data('category') + ')\ncandidates: ' + node.data('candidates').join(', ') +
        '\n\nedges out (' + out.length + '):\n' + out.join('\n') + '\n\nedges in (' + inn.length + '):\n' + inn.join('\n'));
      cy.fit(near.nodes('[kind = "function"]'), 40);
    }
    cy.on('tap', function (evt) { if (evt.target === cy) showAll(); });
    cy.on('tap', 'node[kind = "function"]', function (evt) { focusOn(evt.target); });
    cy.on('tap', 'edge[kind = "dependency"]', function (evt) {
      var d = evt.target.data();
      say(d.source + ' -> ' + d.target + '\n[' + d.relation + ']' +
        (d.feeds.length ? '\nfeeds: ' + d.feeds.join(', ') : '') + (d.reason ? '\n\nevidence: ' + d.reason : ''));
    });
    cy.on('tap', 'edge[kind = "bundle"]', function (evt) {
      var d = evt.target.data();
      say(d.source.replace('category:', '') + ' -> ' + d.target.replace('category:', '') + ': ' + d.count +
        ' edge(s) between the categories\n\n' + d.edges.join('\n'));
    });

    var search = document.getElementById('search'), found = document.getElementById('found');
    search.addEventListener('input', function () {
      var q = search.value.trim().toLowerCase();
      clear();
      found.textContent = '';
      if (!q) return;
      var hits = cy.nodes('[kind = "function"]').filter(function (n) { return n.id().toLowerCase().indexOf(q) >= 0; });
      cy.elements().not(hits).not(hits.parent()).addClass('faded');
      hits.addClass('match');
      found.textContent = hits.length + ' found';
    });
    search.addEventListener('keydown', function (evt) {
      var first = cy.nodes('node.match')[0];
      if (evt.key === 'Enter' && first) focusOn(first);
    });
    window.addEventListener('resize', function () { cy.resize(); cy.fit(undefined, 12); });

    window.magnetGraph = {
      cy: cy,
      nodes: cy.nodes('[kind = "function"]').length,
      edges: cy.edges('[kind = "dependency"]').length,
      bundles: cy.edges('[kind = "bundle"]').length,
      focus: function (id) { focusOn(cy.getElementById(id)); },
      showAll: showAll
    };
  }
})();
`;
