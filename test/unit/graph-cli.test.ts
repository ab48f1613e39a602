import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildGraphFile } from '../../src/cli/graph-build';
import { drawGraphFile, evalGraphFile, showGraphFunction } from '../../src/cli/graph-inspect';
import { EXAMPLE_POOL_DIR } from '../helpers/pools';

/** `magnet graph`, `graph eval`, `graph show` and `graph draw` as functions: what they print and refuse. */
const REFERENCE = path.join(__dirname, '..', '..', 'examples', 'graph-reference.json');
const dir = mkdtempSync(path.join(os.tmpdir(), 'magnet-graph-cli-'));
const graphFile = path.join(dir, 'graph.json');
let printed: string[] = [];
let spy: jest.SpyInstance;

beforeAll(async () => {
  spy = jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void printed.push(a.join(' ')));
  await buildGraphFile({ pool: [EXAMPLE_POOL_DIR], out: graphFile });
});
beforeEach(() => {
  printed = [];
});
afterAll(() => spy.mockRestore());

it('graph eval prints recall, precision and the isolated functions', async () => {
  const r = await evalGraphFile({ graph: graphFile, reference: REFERENCE });
  const text = printed.join('\n');
  expect(text).toContain(
    `recall:    ${(r.recall * 100).toFixed(1)}% (${r.found} of ${r.referenceEdges} reference edges)`,
  );
  expect(text).toContain('precision: ');
  expect(text).toContain('isolated functions: 1 (lock_doors)');
  printed = [];
  await evalGraphFile({ graph: graphFile, reference: REFERENCE, json: true });
  expect(JSON.parse(printed.join('\n'))).toMatchObject({ judge: 'offline-evidence/2', recall: r.recall });
});

it('graph eval refuses a reference for another pool, naming the item', async () => {
  const other = path.join(dir, 'other.json');
  writeFileSync(other, JSON.stringify({ version: 1, edges: [{ from: 'login', to: 'send_message' }] }));
  await expect(evalGraphFile({ graph: graphFile, reference: other })).rejects.toThrow(
    'edges[0].from: login is not a function of the graph',
  );
  const broken = path.join(dir, 'broken.json');
  writeFileSync(broken, JSON.stringify({ version: 1, edges: [{ from: 'a' }] }));
  await expect(evalGraphFile({ graph: graphFile, reference: broken })).rejects.toThrow(
    `${broken}: not a graph reference (edges.0.to:`,
  );
});

it('graph show prints the candidates, the edges with their evidence, and the edges in', async () => {
  await showGraphFunction({ graph: graphFile, function: 'create_directory' });
  const text = printed.join('\n');
  expect(text).toContain('create_directory (category filesystem; judge offline-evidence/2)');
  expect(text).toMatch(/-> write_file \[precondition\]\n\s+evidence: write_file requires "[^"]*must exist/);
  expect(text).toContain('edges in (');
  await expect(showGraphFunction({ graph: graphFile, function: 'write' })).rejects.toThrow(
    'no function write (did you mean write_file?)',
  );
});

it('graph draw writes a page with the libraries inlined', async () => {
  const html = path.join(dir, 'g.html');
  await drawGraphFile({ graph: graphFile, html, category: 'travel' });
  const page = readFileSync(html, 'utf8');
  expect(page).toContain('magnet dependency graph: travel (9 functions,');
  expect(page).not.toMatch(/<script src=/);
  // cytoscape draws, elkjs lays out: both in the page
  expect(page).toContain('cytoscape');
  expect(page).toContain('g.ELK = f()');
  await expect(drawGraphFile({ graph: graphFile, html, category: 'nope' })).rejects.toThrow(
    '--category: no category nope',
  );
});
