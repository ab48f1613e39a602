import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { writeConversationActivity } from '../../src/activities/conversation';
import { loadPoolActivity } from '../../src/activities/pool';
import { formatInspection, inspectPool, inspectWarnings } from '../../src/cli/pool';
import { PROVIDER_NAME, originalNamesOf, safeName } from '../../src/core/names';
import type { ConversationRecord } from '../../src/core/conversation';
import { putJson } from '../../src/io/artifacts';
import { indexPool, toOpenAITool, type Pool, type ToolSource } from '../../src/core/pool';
import { mcpSource } from '../../src/tools/mcp/source';
import { loadPool } from '../../src/tools/pool-loader';
import { functionStateScope, sharedStateWarning, stateScopeOf } from '../../src/tools/state-scope';

const BFCL = path.join(__dirname, '..', 'fixtures', 'bfcl-names');
const DOTTED = path.join(BFCL, 'live-dotted.jsonl');
const COLLIDE = path.join(BFCL, 'live-collide.jsonl');
const dir = mkdtempSync(path.join(os.tmpdir(), 'magnet-names-'));

describe('safeName: a name providers accept, as BFCL makes it', () => {
  it.each([
    ['uber.ride', 'uber_ride'],
    ['math.factorial', 'math_factorial'],
    ['get weather/now', 'get_weather_now'],
    ['café', 'caf_'],
    ['rocket🚀', 'rocket_'],
    ['already_fine-1', 'already_fine-1'],
  ])('%s -> %s', (name, safe) => {
    expect(safeName(name)).toBe(safe);
    expect(safeName(name)).toMatch(PROVIDER_NAME);
  });

  it('cuts to 64 characters, and leaves a name that fits as it is', () => {
    const long = `a.${'b'.repeat(80)}`;
    expect(safeName(long)).toBe(`a_${'b'.repeat(62)}`);
    expect(safeName('g'.repeat(64))).toBe('g'.repeat(64));
  });
});

describe('a BFCL live file with dotted names', () => {
  let pool: Pool;
  beforeAll(async () => {
    pool = await loadPool([DOTTED]);
  });

  it('loads with safe names, the original kept on each renamed function', () => {
    const byName = indexPool(pool);
    expect([...byName.keys()].sort()).toEqual([
      'get_current_weather',
      'math_factorial',
      'requests_get',
      'uber_ride',
      'uber_ride2',
    ]);
    expect(byName.get('uber_ride')).toMatchObject({
      originalName: 'uber.ride',
      category: 'live-dotted',
      source: { file: DOTTED, item: 'line 1 function[0]' },
      impl: { kind: 'simulated' },
    });
    expect(byName.get('requests_get')?.originalName).toBe('requests.get');
    expect(byName.get('math_factorial')?.output?.properties).toHaveProperty('result');
    expect(byName.get('get_current_weather')).not.toHaveProperty('originalName');
    // what providers get: the safe name
    expect(toOpenAITool(byName.get('uber_ride2') as never).function.name).toBe('uber_ride2');
    // the record's list of originals, only for renamed tools
    expect(originalNamesOf(['uber_ride', 'get_current_weather'], byName)).toEqual({
      uber_ride: 'uber.ride',
    });
    expect(originalNamesOf(['get_current_weather'], byName)).toBeUndefined();
  });

  it('pool inspect lists the renames in a column of their own', () => {
    const fns = inspectPool(pool, BFCL);
    expect(fns.find((f) => f.name === 'uber_ride2')).toEqual({
      name: 'uber_ride2',
      category: 'live-dotted',
      executor: 'simulated',
      outputs: 'simulated',
      outputSchema: 'none',
      state: 'per conversation',
      source: 'live-dotted.jsonl line 2 function[0]',
      renamedFrom: 'uber.ride2',
    });
    const lines = formatInspection(fns).split('\n');
    expect(lines[0]).toMatch(
      /^NAME +CATEGORY +EXECUTOR +OUTPUTS +OUTPUT SCHEMA +STATE +SOURCE +RENAMED FROM$/,
    );
    const header = lines[0] as string;
    const row = lines.find((l) => l.startsWith('uber_ride ')) as string;
    expect(row.slice(header.indexOf('RENAMED FROM'))).toBe('uber.ride');
    expect(row.slice(header.indexOf('SOURCE'), header.indexOf('RENAMED FROM')).trim()).toBe(
      'live-dotted.jsonl line 1 function[0]',
    );
    // a function that kept its name has nothing in the column
    const weather = lines.find((l) => l.startsWith('get_current_weather ')) as string;
    expect(weather.length).toBeLessThan(header.indexOf('RENAMED FROM'));
    expect(lines.at(-1)).toBe(
      '5 functions in 1 categories: 0 with real outputs, 5 simulated; output schemas: 1 declared, 0 inferred, 4 none; 4 renamed for providers',
    );
  });
});

describe('the record of a conversation on renamed functions', () => {
  it('calls name the safe name; originalNames gives each renamed tool the name its file gave', async () => {
    const storeDir = path.join(dir, 'store');
    const { poolRef } = await loadPoolActivity({ poolPaths: [DOTTED], storeDir });
    const call = {
      id: 'call_0_0',
      name: 'uber_ride',
      arguments: { loc: '2150 Shattuck Ave, Berkeley, CA', type: 'plus', time: 10 },
      sources: {},
      after: [],
      output: { ride_id: 'r-1' },
      executor: 'simulated',
    };
    const input: Parameters<typeof writeConversationActivity>[0] = {
      storeDir,
      outDir: path.join(dir, 'out'),
      id: 'r/conv-00000',
      runId: 'r',
      index: 0,
      seed: 1,
      fsp: {
        walk: ['uber_ride'],
        turns: [{ functions: [{ name: 'uber_ride', via: 'walk' }], labels: ['walk'] }],
        trace: { mergeBoundaries: 0, merges: 0, insertsShort: 0, insertsLong: 0, split: 'none' },
      },
      tools: ['uber_ride', 'get_current_weather'],
      turns: [
        {
          query: 'An Uber Plus from 2150 Shattuck Ave, Berkeley, CA, within 10 minutes please.',
          callsRef: await putJson(storeDir, [call]),
          assistant: { steps: ['Booking it.'], final: 'Your ride r-1 is on its way.' },
        },
      ],
      provenance: { backend: 'offline', models: {} },
      poolRef,
    };
    const { file } = (await new MockActivityEnvironment().run(writeConversationActivity, input)) as {
      file: string;
    };
    const rec = JSON.parse(readFileSync(file, 'utf8')) as ConversationRecord;
    expect(rec.originalNames).toEqual({ uber_ride: 'uber.ride' });
    expect(rec.turns[0]?.calls.map((c) => c.name)).toEqual(['uber_ride']);
  });
});

describe('names that collide once made safe', () => {
  it('in one file: an error naming both originals and where each is', async () => {
    await expect(loadPool([COLLIDE])).rejects.toThrow(
      `function names "uber.ride" (${COLLIDE} line 1 function[0]) and "uber_ride" (${COLLIDE} line 2) both become "uber_ride" when made safe for providers`,
    );
  });

  it('across files, and between two renamed names', async () => {
    const other = path.join(dir, 'other.json');
    writeFileSync(
      other,
      JSON.stringify([{ name: 'uber/ride', description: 'Book a ride.', parameters: { type: 'object' } }]),
    );
    await expect(loadPool([DOTTED, other])).rejects.toThrow(
      `function names "uber.ride" (${DOTTED} line 1 function[0]) and "uber/ride" (${other} item 0) both become "uber_ride"`,
    );
  });

  it('the same name twice without renaming is still a duplicate', async () => {
    const twice = path.join(dir, 'twice.json');
    const fn = { name: 'ping', description: 'Ping.', parameters: { type: 'object' } };
    writeFileSync(twice, JSON.stringify([fn, fn]));
    await expect(loadPool([twice])).rejects.toThrow(
      `duplicate function name "ping": defined in ${twice} item 0 and in ${twice} item 1`,
    );
  });
});

describe('state per conversation (tools/state-scope)', () => {
  const stdio = (entry: Record<string, unknown>): ToolSource =>
    mcpSource({ name: 'srv', command: 'node', ...entry } as { name: string }, dir, 'cfg');

  it('a stdio server is per conversation with ${scopeDir} or ${stateFile} in args, env or cwd', () => {
    expect(stateScopeOf(stdio({ args: ['server.js', '${scopeDir}'] }))).toBe('per conversation');
    expect(stateScopeOf(stdio({ env: { MEMORY_FILE_PATH: '${scopeDir}/m.jsonl' } }))).toBe(
      'per conversation',
    );
    expect(stateScopeOf(stdio({ args: ['--state', '${stateFile}'] }))).toBe('per conversation');
    expect(stateScopeOf(stdio({ cwd: '${scopeDir}' }))).toBe('per conversation');
    const shared = stdio({ args: ['server.js', '/var/data'], env: { DB: '/tmp/db.sqlite' } });
    expect(stateScopeOf(shared)).toBe('shared');
    expect(sharedStateWarning(shared)).toBe(
      'warning: MCP server srv has no ${scopeDir} or ${stateFile} in its args, env or cwd: what it keeps ' +
        'outside its process (files, a database) is shared by all conversations and runs (docs/mcp.md)',
    );
    expect(sharedStateWarning(stdio({ args: ['${scopeDir}'] }))).toBeUndefined();
  });

  it('HTTP MCP servers are per session; OpenAPI services per conversation only with a scopeHeader', () => {
    const http = mcpSource({ name: 'web', url: 'http://127.0.0.1:1/mcp' } as { name: string }, dir, 'cfg');
    expect(stateScopeOf(http)).toBe('per session');
    expect(sharedStateWarning(http)).toBeUndefined();
    const api = { kind: 'openapi', name: 'api', file: '/x/openapi.json' } as ToolSource;
    expect(stateScopeOf(api)).toBe('shared');
    expect(sharedStateWarning(api)).toBeUndefined();
    expect(stateScopeOf({ ...api, scopeHeader: 'X-Magnet-Scope' } as ToolSource)).toBe('per conversation');
  });

  it("a function's state is its source's; pool inspect warns after the table", () => {
    const shared = stdio({ args: ['server.js'] });
    const def = {
      name: 'get_note',
      description: 'Get a note.',
      parameters: { type: 'object' as const, properties: {}, required: [] },
      category: 'srv',
      source: { file: 'mcp:srv', item: '0' },
      impl: { kind: 'mcp' as const, server: 'srv', tool: 'notes.get' },
      originalName: 'notes.get',
    };
    expect(functionStateScope(def, [shared])).toBe('shared');
    expect(functionStateScope({ ...def, impl: { kind: 'simulated' } }, [shared])).toBe('per conversation');
    const pool: Pool = { functions: [def], sources: [shared] };
    const [fn] = inspectPool(pool);
    expect(fn).toMatchObject({ state: 'shared', source: 'MCP server srv', renamedFrom: 'notes.get' });
    const out = formatInspection(inspectPool(pool), inspectWarnings(pool)).split('\n');
    expect(out[1]).toMatch(/^get_note +srv +mcp:srv +real +none +shared +MCP server srv +notes\.get$/);
    expect(out.at(-1)).toMatch(/^warning: MCP server srv has no \$\{scopeDir\}/);
    expect(out.at(-2)).toMatch(/^1 functions in 1 categories: /);
  });
});
