import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, cpSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Graph } from '../src/core/graph';

const ROOT = path.join(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'magnet.js');

/** Runs the built CLI (npm test builds first). TEMPORAL_ADDRESS points nowhere: nothing may reach a server. */
function magnet(
  args: string[],
  env: Record<string, string> = {},
): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: '127.0.0.1:1',
      MAGNET_HOME: mkdtempSync(path.join(os.tmpdir(), 'magnet-cli-')),
      ...env,
    },
    timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  if (!existsSync(path.join(ROOT, 'dist', 'src', 'cli', 'bin.js')))
    throw new Error('build first: npm run build (npm test does)');
});

function config(dir: string, body: object): string {
  const file = path.join(dir, 'run.json');
  writeFileSync(file, JSON.stringify(body));
  return file;
}

describe('magnet CLI: bad input is rejected before anything starts', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'magnet-bad-'));
  cpSync(path.join(ROOT, 'examples', 'pool'), path.join(dir, 'pool'), { recursive: true });

  it.each([
    [
      'an unknown config key',
      { pool: 'pool', conversations: 3, conversation: 5 },
      /run\.json: Unrecognized key: "conversation"/,
    ],
    ['a negative count', { pool: 'pool', conversations: -3 }, /run\.json field conversations: Too small/],
    [
      'an impossible probability',
      { pool: 'pool', conversations: 3, ops: { splitProb: 2 } },
      /run\.json field ops\.splitProb: Too big/,
    ],
    ['a missing pool', { pool: 'nope', conversations: 3 }, /nope: pool file or folder not found/],
  ])('%s', (_what, body, message) => {
    const r = magnet(['run', '--config', config(dir, body)]);
    expect(r.code).not.toBe(0);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: /);
    expect(lines[0]).toMatch(message);
    expect(r.stdout).not.toMatch(/started/);
  });

  it('an invalid pool file names the file, the item and the field', () => {
    const bad = mkdtempSync(path.join(os.tmpdir(), 'magnet-badpool-'));
    writeFileSync(
      path.join(bad, 'tools.json'),
      JSON.stringify([
        {
          type: 'function',
          function: { name: 'ok', description: 'fine', parameters: { type: 'object', properties: {} } },
        },
        { type: 'function', function: { name: 'broken', description: 'bad', parameters: { type: 'array' } } },
      ]),
    );
    const r = magnet(['run', '--config', config(dir, { pool: bad, conversations: 2 })]);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/tools\.json item 1 field parameters\.type: /);
  });

  it('rejects bad flags', () => {
    expect(
      magnet(['run', '--config', config(dir, { pool: 'pool', conversations: 3 }), '--conversations=-4'])
        .stderr,
    ).toMatch(/^error: --conversations: /);
    expect(magnet(['run', '--bogus']).stderr).toMatch(/^error: Unknown option '--bogus'/);
    expect(magnet(['frobnicate']).code).not.toBe(0);
  });
});

describe('magnet graph and paths', () => {
  it('builds a graph for a BFCL-format pool it has never seen and prints stats', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'magnet-graph-'));
    const out = path.join(dir, 'g.json');
    const dot = path.join(dir, 'g.dot');
    const r = magnet([
      'graph',
      '--pool',
      path.join(ROOT, 'test', 'fixtures', 'bfcl'),
      '--out',
      out,
      '--dot',
      dot,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const g = Graph.parse(JSON.parse(readFileSync(out, 'utf8')));
    expect(g.nodes).toHaveLength(16);
    expect(g.edges.length).toBeGreaterThan(0);
    expect(r.stdout).toContain(`graph: 16 nodes, ${g.edges.length} edges`);
    expect(r.stdout).toMatch(/out-degree min\/median\/mean\/max: \d+\/[\d.]+\/[\d.]+\/\d+/);
    expect(r.stdout).toMatch(/weather: 8 functions/);
    expect(readFileSync(dot, 'utf8')).toMatch(/^digraph magnet \{/);
  });

  it('prints the same FSPs for the same seed, readably', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'magnet-paths-'));
    const g = path.join(dir, 'g.json');
    expect(magnet(['graph', '--pool', path.join(ROOT, 'examples', 'pool'), '--out', g]).code).toBe(0);
    const a = magnet(['paths', '--graph', g, '--n', '20', '--seed', '7']);
    const b = magnet(['paths', '--graph', g, '--n', '20', '--seed', '7']);
    const c = magnet(['paths', '--graph', g, '--n', '20', '--seed', '8']);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).not.toBe(c.stdout);
    expect(a.stdout.match(/^FSP \d+: walk /gm)).toHaveLength(20);
    expect(a.stdout).toMatch(/turn 1 \[/);
  });
});
