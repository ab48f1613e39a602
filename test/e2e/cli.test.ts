import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, cpSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Graph } from '../../src/core/graph';

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'magnet.js');

/**
 * Runs the built CLI (npm test builds first). TEMPORAL_ADDRESS points nowhere: nothing may reach a server.
 * An `undefined` in `env` removes the variable.
 */
function magnet(
  args: string[],
  env: Record<string, string | undefined> = {},
): { code: number; stdout: string; stderr: string } {
  const merged: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: '127.0.0.1:1',
    MAGNET_HOME: mkdtempSync(path.join(os.tmpdir(), 'magnet-cli-')),
    ...env,
  };
  for (const [k, v] of Object.entries(merged)) if (v === undefined) delete merged[k];
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: merged, timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** An error is exactly one line on stderr. */
function oneLineError(r: { stderr: string }): string {
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  return lines[0] as string;
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
      /run\.json field conversation: unknown key; did you mean 'conversations'\?$/m,
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
    const cfg = config(dir, { pool: 'pool', conversations: 3 });
    expect(magnet(['run', '--config', cfg, '--bogus']).stderr).toMatch(/^error: unknown option '--bogus'/);
    expect(oneLineError(magnet(['run']))).toMatch(/--config/);
    expect(oneLineError(magnet(['paths', '--graph', 'g.json', '--n', 'two']))).toMatch(
      /^error: --n: expected a positive integer/,
    );
    const unknown = magnet(['frobnicate']);
    expect(unknown.code).toBe(1);
    expect(oneLineError(unknown)).toMatch(/unknown command 'frobnicate'/);
  });
});

const COMMANDS = [
  'run',
  'demo',
  'status',
  'attach',
  'retry',
  'rerun',
  'pause',
  'resume',
  'stop',
  'cancel',
  'runs',
  'estimate',
  'report',
  'export',
  'validate',
  'graph',
  'graph eval',
  'graph show',
  'paths',
  'worker',
  'server',
  'server start',
  'server stop',
  'server status',
  'help',
];

describe('magnet help', () => {
  it.each(COMMANDS)('magnet %s --help: description, options and an example, exit 0', (command) => {
    const r = magnet([...command.split(' '), '--help']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: magnet ${command}`));
    expect(r.stdout).toContain('Options:');
    expect(r.stdout).toMatch(/Examples:\n {2}\$ magnet /);
  });

  it('magnet --help and magnet help list every command and exit 0; no command prints help and exits 2', () => {
    for (const args of [['--help'], ['help']]) {
      const r = magnet(args);
      expect(r.code).toBe(0);
      for (const c of COMMANDS.filter((x) => !x.includes(' ')))
        expect(r.stdout).toMatch(new RegExp(`^ {2}${c}\\b`, 'm'));
    }
    expect(magnet(['help', 'server', 'start']).stdout).toMatch(/^Usage: magnet server start/);
    const bare = magnet([]);
    expect(bare.code).toBe(2);
    expect(bare.stdout).toMatch(/^Usage: magnet /);
  });

  it('--version prints the package version; a reader that closes the pipe early ends the CLI quietly', () => {
    const version = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string })
      .version;
    for (const flag of ['--version', '-V'])
      expect(magnet([flag])).toMatchObject({ code: 0, stdout: `${version}\n` });
    // `| head -1`: the shell's reader exits after one line (no unhandled EPIPE, no stack)
    const piped = spawnSync(
      'bash',
      ['-c', `"${process.execPath}" "${BIN}" pool export builtin | head -1; exit \${PIPESTATUS[0]}`],
      {
        encoding: 'utf8',
        env: { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1' },
      },
    );
    expect(piped.stdout).toBe('[\n');
    expect(piped.stderr).toBe('');
    expect(piped.status).toBe(0);
  });

  it('retry has no "replay" alias: replaying, in Temporal, re-runs a workflow history', () => {
    const r = magnet(['replay', 'some-run', '--failed']);
    expect(r.code).toBe(1);
    expect(oneLineError(r)).toMatch(/^error: unknown command 'replay'/);
    expect(oneLineError(magnet(['help', 'replay']))).toMatch(/^error: unknown command "replay"/);
    expect(magnet(['retry', '--help']).stdout).not.toMatch(/replay/);
  });
});

describe('magnet retry: overrides are checked before anything is sent', () => {
  // TEMPORAL_ADDRESS points at a closed port: an error about the server would mean it tried to connect
  it.each([
    [
      'teachr.model=y',
      /^error: --set: teachr\.model: unknown role "teachr" \(roles: dependency_judge, .*teacher/,
    ],
    [
      'teacher.modl=y',
      /^error: --set: teacher\.modl: unknown field "modl" \(fields: model, temperature, maxTokens\)/,
    ],
    ['teacher.temperature=hot', /^error: --set: teacher\.temperature=hot: temperature must be a number/],
    ['teacher.model', /^error: --set teacher\.model: expected <role>\.<field>=<value>/],
  ])('--set %s', (set, message) => {
    const r = magnet(['retry', 'some-run', '--failed', '--set', set]);
    expect(r.code).toBe(1);
    expect(oneLineError(r)).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('--failed is required, --turn must be a positive integer', () => {
    expect(oneLineError(magnet(['retry', 'some-run']))).toMatch(/required option '--failed'/);
    expect(oneLineError(magnet(['retry', 'some-run', '--failed', '--turn', '0']))).toMatch(
      /^error: --turn: expected a positive integer/,
    );
  });
});

describe('commands that only look at or steer runs never start a Temporal server', () => {
  const noServer = /^error: no Temporal server at 127\.0\.0\.1:\d+/;

  it.each([
    ['status', 'r1'],
    ['runs'],
    ['pause', 'r1'],
    ['resume', 'r1'],
    ['cancel', 'r1'],
    ['retry', 'r1', '--failed'],
  ])('magnet %s with TEMPORAL_ADDRESS at a closed port: one line, exit 1', (...args) => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'magnet-cli-'));
    const r = magnet(args, { MAGNET_HOME: home });
    expect(r.code).toBe(1);
    expect(oneLineError(r)).toMatch(noServer);
    expect(existsSync(path.join(home, 'temporal'))).toBe(false);
  });

  it.each([['status', 'r1'], ['runs']])(
    'magnet %s with no server configured or running: says how to start one',
    (...args) => {
      const home = mkdtempSync(path.join(os.tmpdir(), 'magnet-cli-'));
      const r = magnet(args, {
        MAGNET_HOME: home,
        TEMPORAL_ADDRESS: undefined,
        TEMPORAL_PROFILE: undefined,
        TEMPORAL_CONFIG_FILE: undefined,
        HOME: home, // no ~/.config/temporalio/temporal.toml
        XDG_CONFIG_HOME: undefined,
        MAGNET_TEMPORAL_PORT: '1',
      });
      expect(r.code).toBe(1);
      expect(oneLineError(r)).toBe(
        'error: no Temporal server at 127.0.0.1:1: start one with "magnet server start" (or set TEMPORAL_ADDRESS)',
      );
      expect(existsSync(path.join(home, 'temporal'))).toBe(false);
    },
  );
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

  it('graph draw takes its own --html (the parent graph command has one too)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'magnet-draw-'));
    const graph = path.join(dir, 'graph.json');
    expect(magnet(['graph', '--pool', path.join(ROOT, 'examples', 'pool'), '--out', graph]).code).toBe(0);
    const page = path.join(dir, 'travel.html');
    const r = magnet(['graph', 'draw', graph, '--html', page, '--category', 'travel']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readFileSync(page, 'utf8')).toMatch(/^<!doctype html>/i);
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
