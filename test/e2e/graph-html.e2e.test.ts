import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { buildGraphOffline, GraphConfig } from '../../src/core/graph';
import { graphHtml } from '../../src/core/graph-html';
import { examplePool } from '../helpers/pools';

/**
 * The HTML drawing renders in a real headless Chromium (Debian's `chromium` package, or CHROMIUM_PATH)
 * without console errors, draws every function and edge of the category, and shows an edge's evidence when
 * it is clicked. The screenshot goes to $MAGNET_TEST_ARTIFACTS (default: <tmp>/magnet-test-artifacts).
 */
const CHROMIUM =
  process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(existsSync);
const ARTIFACTS = process.env.MAGNET_TEST_ARTIFACTS ?? path.join(os.tmpdir(), 'magnet-test-artifacts');

let browser: Browser;
beforeAll(async () => {
  if (!CHROMIUM)
    throw new Error('no Chromium: apt-get install -y chromium (or set CHROMIUM_PATH to a Chromium binary)');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});
afterAll(async () => {
  await browser?.close();
});

it('draws a category of the example graph in headless Chromium without console errors', async () => {
  const graph = buildGraphOffline(examplePool(), GraphConfig.parse({}));
  const library = readFileSync(require.resolve('cytoscape/dist/cytoscape.min.js'), 'utf8');
  const category = 'messaging';
  const nodes = graph.nodes.filter((n) => n.category === category).map((n) => n.name);
  const edges = graph.edges.filter((e) => nodes.includes(e.from) && nodes.includes(e.to));
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'magnet-html-')), 'graph.html');
  writeFileSync(file, graphHtml(graph, { library, category }));

  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  await page.goto(`file://${file}`);
  const drawn = await page.waitForFunction(
    () => (globalThis as unknown as { magnetGraph?: object }).magnetGraph,
  );
  const counts = await drawn.evaluate((g) => ({
    nodes: (g as { nodes: number }).nodes,
    edges: (g as { edges: number }).edges,
  }));
  expect(counts).toEqual({ nodes: nodes.length, edges: edges.length });
  expect(edges.length).toBeGreaterThan(0);

  // a click on an edge shows its evidence
  const first = edges[0];
  await page.evaluate(() => {
    type Cy = { edges(): { emit(event: string): void }[] };
    (globalThis as unknown as { magnetGraph: { cy: Cy } }).magnetGraph.cy.edges()[0]?.emit('tap');
  });
  const info = await page.textContent('#info');
  expect(info).toContain(`${first?.from} -> ${first?.to}`);
  expect(info).toContain(`evidence: ${first?.reason}`);

  mkdirSync(ARTIFACTS, { recursive: true });
  const shot = path.join(ARTIFACTS, `graph-${category}.png`);
  await page.screenshot({ path: shot });
  expect(readFileSync(shot).length).toBeGreaterThan(10_000);
  expect(problems).toEqual([]);
  await page.close();
}, 120_000);

it('refuses a category the graph does not have, naming the ones it has', () => {
  const graph = buildGraphOffline(examplePool(), GraphConfig.parse({}));
  expect(() => graphHtml(graph, { library: '', category: 'nope' })).toThrow(
    'no category nope in the graph (categories: filesystem, math_units, messaging, trading, travel, vehicle)',
  );
});
