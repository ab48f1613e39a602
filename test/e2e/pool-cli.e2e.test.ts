import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { InspectedFunction } from '../../src/cli/pool';
import { MEMORY_SERVER } from '../helpers/mcp';

/** `magnet pool inspect` and `magnet pool export builtin`, through the built CLI. */
const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'magnet.js');
const dir = mkdtempSync(path.join(os.tmpdir(), 'magnet-pool-cli-'));

function magnet(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1', MAGNET_HOME: path.join(dir, 'home') },
    timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

// a user's tools: one named like a built-in function (other parameters), one without an output schema
writeFileSync(
  path.join(dir, 'shop.yaml'),
  [
    '- name: place_order',
    '  description: Buy a stock for an amount of money.',
    '  parameters: {type: object, properties: {symbol: {type: string}, amount: {type: number}}}',
    '  output: {type: object, properties: {order_id: {type: string}}}',
    '- name: ping',
    '  description: Is the shop up?',
    '  parameters: {type: object}',
    '',
  ].join('\n'),
);

describe('magnet pool', () => {
  it('inspect prints a table: a header row, one row per function by category, one column per fact', () => {
    const r = magnet(['pool', 'inspect', 'shop.yaml', 'builtin:travel']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /^NAME +CATEGORY +EXECUTOR +OUTPUTS +OUTPUT SCHEMA +STATE +SOURCE +RENAMED FROM$/,
    );
    expect(lines[1]).toMatch(/^ping +shop +simulated +simulated +none +per conversation +shop\.yaml item 1$/);
    expect(lines[2]).toMatch(
      /^place_order +shop +simulated +simulated +declared +per conversation +shop\.yaml item 0$/,
    );
    expect(lines[3]).toMatch(
      /^book_flight +travel +builtin:travel +real +declared +per conversation +\S+travel\.json item \d+$/,
    );
    expect(lines).toHaveLength(13);
    expect(lines.at(-1)).toBe(
      '11 functions in 2 categories: 9 with real outputs, 2 simulated; output schemas: 10 declared, 0 inferred, 1 none',
    );
  });

  it("inspect --config reads a run config's pool; --json gives the same facts", () => {
    writeFileSync(
      path.join(dir, 'run.json'),
      JSON.stringify({ pool: ['shop.yaml', 'builtin:messaging'], conversations: 5 }),
    );
    const r = magnet(['pool', 'inspect', '--config', 'run.json', '--json']);
    expect(r.code).toBe(0);
    const fns = JSON.parse(r.stdout) as InspectedFunction[];
    expect(fns).toHaveLength(11);
    expect(fns.find((f) => f.name === 'place_order')).toEqual({
      name: 'place_order',
      category: 'shop',
      executor: 'simulated',
      outputs: 'simulated',
      outputSchema: 'declared',
      state: 'per conversation',
      source: 'shop.yaml item 0',
    });
    expect(fns.find((f) => f.name === 'send_message')).toMatchObject({
      category: 'messaging',
      executor: 'builtin:messaging',
      outputs: 'real',
    });
  });

  it('export builtin writes a pool that runs built-in code when loaded again', () => {
    const r = magnet(['pool', 'export', 'builtin', '--out', 'builtin.json']);
    expect(r.code).toBe(0);
    const tools = JSON.parse(readFileSync(path.join(dir, 'builtin.json'), 'utf8')) as unknown[];
    expect(tools).toHaveLength(54);
    const back = magnet(['pool', 'inspect', 'builtin.json', '--json']);
    const fns = JSON.parse(back.stdout) as InspectedFunction[];
    expect(fns).toHaveLength(54);
    expect(new Set(fns.map((f) => f.category))).toEqual(
      new Set(['filesystem', 'math_units', 'messaging', 'trading', 'travel', 'vehicle']),
    );
    for (const f of fns) expect(f.executor).toBe(`builtin:${f.category}`);
    // without --out: the same pool on standard output
    expect(magnet(['pool', 'export', 'builtin']).stdout).toBe(
      readFileSync(path.join(dir, 'builtin.json'), 'utf8'),
    );
  });

  it('inspect lists the names made safe for providers with the name the file gave', () => {
    writeFileSync(
      path.join(dir, 'dotted.json'),
      JSON.stringify([
        { name: 'w.get', description: 'Get the weather.', parameters: { type: 'object' } },
        { name: 'w_list', description: 'List the stations.', parameters: { type: 'object' } },
      ]),
    );
    const r = magnet(['pool', 'inspect', 'dotted.json']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[1]).toMatch(/^w_get +dotted +simulated +.* +dotted\.json item 0 +w\.get$/);
    expect(lines[2]).toMatch(/^w_list +dotted +simulated +.* +dotted\.json item 1$/);
    expect(lines.at(-1)).toMatch(/; 1 renamed for providers$/);
    const json = JSON.parse(
      magnet(['pool', 'inspect', 'dotted.json', '--json']).stdout,
    ) as InspectedFunction[];
    expect(json.map((f) => [f.name, f.renamedFrom])).toEqual([
      ['w_get', 'w.get'],
      ['w_list', undefined],
    ]);
    // two names that become the same: one line naming both
    writeFileSync(
      path.join(dir, 'clash.json'),
      JSON.stringify([
        { name: 'w.get', description: 'Get the weather.', parameters: { type: 'object' } },
        { name: 'w_get', description: 'Get it again.', parameters: { type: 'object' } },
      ]),
    );
    const clash = magnet(['pool', 'inspect', 'clash.json']);
    expect(clash.code).not.toBe(0);
    expect(clash.stderr.trim()).toBe(
      `error: function names "w.get" (${path.join(dir, 'clash.json')} item 0) and "w_get" (${path.join(dir, 'clash.json')} item 1) both become "w_get" when made safe for providers (characters other than letters, digits, _ and - become _, cut to 64): rename one of them`,
    );
  });

  it("inspect - reads a real MCP server's stdout piped in (initialize and tools/list answers)", () => {
    const messages = [
      {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'dump', version: '1' },
        },
      },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { jsonrpc: '2.0', id: 2, method: 'tools/list' },
    ];
    const server = spawnSync(process.execPath, [MEMORY_SERVER], {
      input: messages.map((m) => JSON.stringify(m)).join('\n') + '\n',
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(server.stdout.trim().split('\n')).toHaveLength(2);
    const r = spawnSync(process.execPath, [BIN, 'pool', 'inspect', '-', '--json'], {
      cwd: dir,
      input: server.stdout,
      encoding: 'utf8',
      env: { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1', MAGNET_HOME: path.join(dir, 'home') },
      timeout: 60_000,
    });
    expect(r.stderr).toBe('');
    const fns = JSON.parse(r.stdout) as InspectedFunction[];
    expect(fns.map((f) => f.name)).toEqual(
      expect.arrayContaining(['create_entities', 'read_graph', 'open_nodes']),
    );
    expect(new Set(fns.map((f) => f.category))).toEqual(new Set(['stdin']));
    for (const f of fns) expect(f.source).toMatch(/^standard input line 2 result\.tools\[\d+\]$/);
  });

  it('errors are one line naming what is wrong', () => {
    const none = magnet(['pool', 'inspect']);
    expect(none.code).not.toBe(0);
    expect(none.stderr.trim()).toBe(
      'error: magnet pool inspect: name pool files or folders, or --config <file>',
    );
    expect(magnet(['pool', 'export', 'mine']).stderr.trim()).toMatch(
      /^error: .*'mine' is invalid .*Allowed choices are builtin/,
    );
  });
});
