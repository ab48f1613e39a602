import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PlannedCall } from '../../src/core/conversation';
import type { FunctionDef, ToolSource } from '../../src/core/pool';
import { loadTurnContext } from '../../src/roles/context';
import { putJson } from '../../src/io/artifacts';
import { callExternal, executeTurn } from '../../src/tools/execute';
import { statePerConversation, sweepScopeFolders } from '../../src/tools/mcp/connect';
import { callMcp } from '../../src/tools/mcp/execute';
import { closeAll, closeScope, limits, liveCount } from '../../src/tools/mcp/sessions';
import { listMcpFunctions, mcpSource } from '../../src/tools/mcp/source';
import { ToolError, type ExecScope } from '../../src/tools/types';
import { filesystemEntry, memoryEntry, notesEntry, NOTES_SERVER } from '../helpers/mcp';

const CFG = '/cfg/run.json field pool';
const BASE = os.tmpdir();
const source = (entry: { name: string }): ToolSource => mcpSource(entry, BASE, CFG);
const scope = (key: string, history: ExecScope['history'] = []): ExecScope => ({ key, history });
const ada = { entities: [{ name: 'Ada', entityType: 'person', observations: ['wrote the first program'] }] };

afterAll(() => closeAll());

describe('MCP source config', () => {
  test('errors name the config field', () => {
    expect(() => source({ name: 'x' })).toThrow(
      `${CFG}: MCP server x: field mcp.command (stdio) or mcp.url (HTTP) is required`,
    );
    expect(() => source({ name: 'x', command: 'a', url: 'http://h' } as never)).toThrow(/not both/);
    expect(() => source({ name: 'x', command: 'node', args: 'a' } as never)).toThrow(
      `${CFG}: MCP server x: field mcp.args: `,
    );
    expect(() => source({ name: 'x', command: 'node', envFrom: { T: 'not a var' } } as never)).toThrow(
      /field mcp\.envFrom\.T: must be an environment variable name/,
    );
    expect(() => source({ name: 'x', url: 'http://h', token: 's' } as never)).toThrow(
      /unknown field mcp\.token/,
    );
    expect(() => source({ name: 'x', command: 'node' } as never)).not.toThrow();
  });

  test('relative command and cwd are made absolute against the config folder', () => {
    const entry = { name: 'x', command: './bin/server', cwd: 'data' };
    expect(mcpSource(entry, '/cfg', CFG)).toMatchObject({ command: '/cfg/bin/server', cwd: '/cfg/data' });
    const plain = { name: 'x', command: 'node' };
    expect(mcpSource(plain, '/cfg', CFG)).toMatchObject({ kind: 'mcp', command: 'node', cwd: '/cfg' });
  });
});

describe('listing a real MCP server (server-memory)', () => {
  let fns: FunctionDef[];
  beforeAll(async () => {
    fns = await listMcpFunctions(source(memoryEntry()));
  });

  test('tools become pool functions of the server, executed by it', () => {
    const byName = new Map(fns.map((f) => [f.name, f]));
    expect([...byName.keys()]).toEqual(
      expect.arrayContaining(['create_entities', 'add_observations', 'read_graph', 'open_nodes']),
    );
    const create = byName.get('create_entities') as FunctionDef;
    expect(create).toMatchObject({
      category: 'memory',
      impl: { kind: 'mcp', server: 'memory', tool: 'create_entities' },
      outputOrigin: 'declared',
      annotations: expect.objectContaining({ readOnlyHint: false }),
    });
    expect(create.parameters.required).toContain('entities');
    expect(create.output?.properties).toHaveProperty('entities');
    expect(byName.get('read_graph')?.annotations).toMatchObject({ readOnlyHint: true });
  });
});

describe('inferred output schemas (notes test server: no output schemas)', () => {
  test('read-only tools get a schema from a sample call on a throwaway server; others keep none', async () => {
    const fns = new Map((await listMcpFunctions(source(notesEntry()))).map((f) => [f.name, f]));
    expect(fns.get('list_notes')).toMatchObject({
      outputOrigin: 'inferred',
      output: { type: 'object', properties: { notes: { type: 'array' }, count: { type: 'number' } } },
    });
    // refuses the sample arguments (no note "example"): no guessed schema
    expect(fns.get('get_note')?.output).toBeUndefined();
    // not read-only: no sample call by default
    expect(fns.get('create_note')?.output).toBeUndefined();
    expect(liveCount()).toBe(0);
  });

  test('a tool name providers reject is made safe; the server is still called by its own name', async () => {
    const notes = source(notesEntry({ env: { EXTRA_TOOL: 'weather.get' } }));
    const fn = (await listMcpFunctions(notes)).find((f) => f.originalName === 'weather.get');
    expect(fn).toMatchObject({
      name: 'weather_get',
      impl: { kind: 'mcp', server: 'notes', tool: 'weather.get' },
    });
    // the extra tool has no handler: the server's answer names the tool it was asked for
    const tool = fn?.impl?.kind === 'mcp' ? fn.impl.tool : '';
    await expect(callMcp(notes, tool, {}, scope('renamed'))).rejects.toThrow('unknown tool weather.get');
  });

  test('inferOutputs "all" samples every tool; "none" no tool', async () => {
    const all = new Map(
      (await listMcpFunctions(source(notesEntry({ inferOutputs: 'all' })))).map((f) => [f.name, f]),
    );
    expect(all.get('create_note')).toMatchObject({
      outputOrigin: 'inferred',
      output: { properties: { note_id: { type: 'string' }, title: { type: 'string' } } },
    });
    const none = await listMcpFunctions(source(notesEntry({ inferOutputs: 'none' })));
    expect(none.filter((f) => f.output)).toEqual([]);
  });
});

describe('executing calls per conversation scope', () => {
  const memory = source(memoryEntry());

  test('conversations do not see each other state; tool errors are ToolErrors', async () => {
    const a = scope('conv-a');
    const created = await callMcp(memory, 'create_entities', ada, a);
    expect(created).toMatchObject({ entities: [{ name: 'Ada' }] });
    expect(await callMcp(memory, 'read_graph', {}, a)).toMatchObject({ entities: [{ name: 'Ada' }] });
    expect(await callMcp(memory, 'read_graph', {}, scope('conv-b'))).toMatchObject({ entities: [] });
    await expect(
      callMcp(memory, 'add_observations', { observations: [{ entityName: 'Bob', contents: ['x'] }] }, a),
    ).rejects.toThrow(ToolError);
    await expect(callMcp(memory, 'no_such_tool', {}, a)).rejects.toThrow(ToolError);
  });

  test('a scope with no live server is rebuilt from its history, and says where answers differ', async () => {
    const first = scope('conv-c');
    const out = await callMcp(memory, 'create_entities', ada, first);
    await closeScope('conv-c');
    // as a retried turn on another worker: the recorded calls, one of them recorded with another output
    const history = [
      { name: 'create_entities', arguments: ada, output: out },
      {
        name: 'create_relations',
        arguments: { relations: [{ from: 'Ada', to: 'Ada', relationType: 'knows' }] },
        output: { relations: [] },
      },
    ];
    const retried = scope('conv-c', history);
    const graph = await callMcp(memory, 'read_graph', {}, retried);
    expect(graph).toMatchObject({ entities: [{ name: 'Ada' }], relations: [{ relationType: 'knows' }] });
    expect(retried.rebuilt).toEqual([
      {
        source: 'memory',
        calls: 2,
        differences: ['call 2 (create_relations): output differs from the recorded one'],
      },
    ]);
  });

  test('a retried attempt whose failed attempt left calls on the live server gets a rebuilt one', async () => {
    const attempt1 = scope('conv-d');
    await callMcp(memory, 'create_entities', ada, attempt1);
    // the attempt failed after its call: the retry's history does not have it, the server must not either
    const attempt2 = scope('conv-d');
    expect(await callMcp(memory, 'read_graph', {}, attempt2)).toMatchObject({ entities: [] });
  });

  test('executeTurn records the server as executor', async () => {
    const fns = await listMcpFunctions(memory);
    const pool = new Map(fns.map((f) => [f.name, f]));
    const planned: PlannedCall[] = [
      { id: 'c1', name: 'create_entities', arguments: ada, refs: {}, sources: {} },
      { id: 'c2', name: 'open_nodes', arguments: { names: ['Ada'] }, refs: {}, sources: {} },
    ];
    const t = await executeTurn(planned, pool, {}, 1, 'auto', undefined, true, {
      sources: [memory],
      scope: scope('conv-e'),
    });
    expect(t.calls.map((c) => [c.executor, c.error])).toEqual([
      ['mcp:memory', undefined],
      ['mcp:memory', undefined],
    ]);
    expect(t.calls[1]?.output).toMatchObject({ entities: [{ name: 'Ada', entityType: 'person' }] });
  });
});

describe('server-filesystem in a folder of its own per conversation', () => {
  test('a file written in one conversation is not in another', async () => {
    const files = source(filesystemEntry());
    const a = scope('fs-a');
    await callMcp(files, 'write_file', { path: 'notes.txt', content: 'hello' }, a);
    expect(await callMcp(files, 'read_text_file', { path: 'notes.txt' }, a)).toEqual({ content: 'hello' });
    await expect(callMcp(files, 'read_text_file', { path: 'notes.txt' }, scope('fs-b'))).rejects.toThrow(
      ToolError,
    );
  });
});

describe('faults and environment (notes test server)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'magnet-mcp-test-'));

  test('a server that crashes is restarted with the state rebuilt, and the call retried', async () => {
    const flag = path.join(dir, 'flaky');
    const notes = source(notesEntry({ env: { FLAKY_FILE: flag } }));
    const s = scope('crash');
    await callMcp(notes, 'create_note', { title: 'kept' }, s);
    writeFileSync(flag, '');
    expect(await callMcp(notes, 'flaky', {}, s)).toEqual({ ok: true });
    expect(existsSync(flag)).toBe(false);
    // the note created before the crash, in the same attempt, is there again
    expect(await callMcp(notes, 'list_notes', {}, s)).toMatchObject({ count: 1, notes: [{ title: 'kept' }] });
  });

  test('a server that hangs is restarted and the call retried', async () => {
    const flag = path.join(dir, 'hang');
    const notes = source(notesEntry({ env: { HANG_FILE: flag }, timeoutSeconds: 1 }));
    writeFileSync(flag, '');
    expect(await callMcp(notes, 'stuck', {}, scope('hang'))).toEqual({ ok: true });
  });

  // one time limit per call (execution.timeoutSeconds): the first try gets half of it, a retry on a fresh
  // instance the rest, and a call out of time releases its instance
  const external = (notes: ToolSource, s: ExecScope, timeoutMs: number) => {
    const fns = new Map(
      ['create_note', 'list_notes', 'stuck'].map((name): [string, FunctionDef] => [
        name,
        {
          name,
          description: name,
          parameters: { type: 'object', properties: {}, required: [] },
          category: 'notes',
          source: { file: 'mcp:notes', item: '0' },
          impl: { kind: 'mcp', server: notes.name, tool: name },
        },
      ]),
    );
    return (name: string, args: Record<string, unknown> = {}) =>
      callExternal(fns.get(name)!, args, { sources: [notes], scope: s, limits: { timeoutMs } }, fns);
  };

  test('a call that hangs once is retried on a fresh instance within the one time limit', async () => {
    const flag = path.join(dir, 'hang-once');
    const notes = source(notesEntry({ env: { HANG_FILE: flag } }, 'hang-once'));
    const call = external(notes, scope('hang-once'), 4000);
    await call('create_note', { title: 'kept' });
    writeFileSync(flag, '');
    const started = Date.now();
    expect((await call('stuck')).output).toEqual({ ok: true });
    // the first try gave up at half the limit, not at the server's old 25 s
    expect(Date.now() - started).toBeLessThan(4000);
    expect((await call('list_notes')).output).toMatchObject({ count: 1 });
  });

  test('a call that always hangs fails alone: the calls after it run on a healthy instance', async () => {
    const notes = source(notesEntry({ env: { HANG_ALWAYS: '1' } }, 'hang-always'));
    const call = external(notes, scope('hang-always'), 3000);
    await call('create_note', { title: 'a' });
    await expect(call('stuck')).rejects.toThrow(/MCP server hang-always \(stuck\): no answer within 3 s/);
    // today's calls after a hang no longer queue behind it: each is ok, on a rebuilt instance
    for (const title of ['b', 'c', 'd'])
      expect((await call('create_note', { title })).output).toMatchObject({ title });
    expect((await call('list_notes')).output).toMatchObject({ count: 4 });
  });

  test('the server gets the config env and envFrom, never the worker secrets', async () => {
    process.env.MAGNET_TEST_SECRET = 'worker-secret';
    process.env.MAGNET_TEST_TOKEN = 'token-value';
    try {
      const notes = source(notesEntry({ env: { PLAIN: '1' }, envFrom: { TOKEN: 'MAGNET_TEST_TOKEN' } }));
      const { names } = (await callMcp(notes, 'env_names', {}, scope('env'))) as { names: string[] };
      expect(names).toEqual(expect.arrayContaining(['PLAIN', 'TOKEN', 'PATH']));
      expect(names).not.toContain('MAGNET_TEST_SECRET');
      expect(names).not.toContain('MAGNET_TEST_TOKEN');
      const unset = source(notesEntry({ envFrom: { TOKEN: 'MAGNET_UNSET_VAR' } }));
      await expect(callMcp(unset, 'env_names', {}, scope('env2'))).rejects.toThrow(
        /envFrom\.TOKEN names MAGNET_UNSET_VAR, which is not set on the worker/,
      );
    } finally {
      delete process.env.MAGNET_TEST_SECRET;
      delete process.env.MAGNET_TEST_TOKEN;
    }
  });
});

describe('pooling per worker', () => {
  test('over the cap, the least recently used instance closes; its scope comes back rebuilt', async () => {
    const notes = source(notesEntry({}, 'capped'));
    const max = limits.MAX_LIVE;
    await closeAll();
    limits.MAX_LIVE = 1;
    try {
      const a = scope('lru-a');
      const out = await callMcp(notes, 'create_note', { title: 'a' }, a);
      await callMcp(notes, 'list_notes', {}, scope('lru-b'));
      expect(liveCount()).toBe(1);
      // conversation a's next turn: its instance was closed, a fresh one gets its recorded call again
      const next = scope('lru-a', [{ name: 'create_note', arguments: { title: 'a' }, output: out }]);
      expect(await callMcp(notes, 'list_notes', {}, next)).toMatchObject({
        count: 1,
        notes: [{ title: 'a' }],
      });
      expect(next.rebuilt).toEqual([{ source: 'capped', calls: 1, differences: [] }]);
    } finally {
      limits.MAX_LIVE = max;
    }
  });
});

describe('streamable HTTP server (notes test server over HTTP)', () => {
  let server: ChildProcess;
  let url = '';
  beforeAll(async () => {
    server = spawn(process.execPath, [NOTES_SERVER, '--http', '0'], {
      env: { PATH: process.env.PATH, NOTES_KEY: 'k-123' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = await new Promise<string>((resolve) =>
      server.stdout?.once('data', (b: Buffer) => resolve(String(b))),
    );
    url = `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}/mcp`;
  });
  afterAll(() => void server?.kill());

  test('one session per conversation; a secret header comes from a named worker variable', async () => {
    process.env.MAGNET_TEST_NOTES_KEY = 'k-123';
    try {
      const notes = source({
        name: 'web',
        url,
        headersFrom: { 'x-api-key': 'MAGNET_TEST_NOTES_KEY' },
      } as never);
      expect(JSON.stringify(notes)).not.toContain('k-123');
      const fns = await listMcpFunctions(notes);
      expect(fns.find((f) => f.name === 'create_note')?.impl).toEqual({
        kind: 'mcp',
        server: 'web',
        tool: 'create_note',
      });
      const a = scope('http-a');
      expect(await callMcp(notes, 'create_note', { title: 'in a' }, a)).toEqual({
        note_id: 'note-1',
        title: 'in a',
      });
      expect(await callMcp(notes, 'create_note', { title: 'in b' }, scope('http-b'))).toEqual({
        note_id: 'note-1',
        title: 'in b',
      });
      expect(await callMcp(notes, 'list_notes', {}, a)).toMatchObject({
        count: 1,
        notes: [{ title: 'in a' }],
      });
      const wrongKey = source({ name: 'web2', url } as never);
      await expect(callMcp(wrongKey, 'list_notes', {}, scope('http-c'))).rejects.toThrow(/did not start/);
    } finally {
      delete process.env.MAGNET_TEST_NOTES_KEY;
    }
  });
});

test('an MCP tool named like a built-in one gets no value hints from the built-in tool set', async () => {
  const fns = await listMcpFunctions(source(filesystemEntry()));
  const readFile = fns.find((f) => f.name === 'read_file') as FunctionDef;
  const storeDir = mkdtempSync(path.join(os.tmpdir(), 'magnet-mcp-store-'));
  const turn = { functions: [{ name: 'read_file', via: 'walk' as const }], labels: [] };
  const fsp = { walk: ['read_file'], turns: [turn], trace: {} } as never;
  const input = { storeDir, seed: 1, fsp, turnIndex: 0, previous: [] };
  const mcpPool = await putJson(storeDir, { functions: [readFile] });
  expect((await loadTurnContext({ ...input, poolRef: mcpPool })).hints).toEqual({});
  // the same name from the built-in pool (no impl: a pool of an earlier release) does get them
  const { impl: _i, ...builtinLike } = readFile;
  const oldPool = await putJson(storeDir, { functions: [{ ...builtinLike, category: 'filesystem' }] });
  expect(Object.keys((await loadTurnContext({ ...input, poolRef: oldPool })).hints ?? {})).toContain('path');
});

describe('scope folders', () => {
  test('only a server that uses ${scopeDir} or ${stateFile} gets one; it goes when its instance closes', async () => {
    const before = (): string[] =>
      readdirSync(os.tmpdir()).filter((n) => n.startsWith(`magnet-mcp-${process.pid}-`));
    const plain = source(notesEntry({}, 'no-folder'));
    expect(statePerConversation(plain as never)).toBe(false);
    await callMcp(plain, 'list_notes', {}, scope('folders-plain'));
    expect(before().filter((n) => n.includes('-no-folder-'))).toEqual([]);
    const scoped = source(notesEntry({ env: { SCOPE: '${scopeDir}' } }, 'with-folder'));
    expect(statePerConversation(scoped as never)).toBe(true);
    await callMcp(scoped, 'list_notes', {}, scope('folders-scoped'));
    expect(before().filter((n) => n.includes('-with-folder-'))).toHaveLength(1);
    await closeScope('folders-scoped');
    expect(before().filter((n) => n.includes('-with-folder-'))).toEqual([]);
  });

  test('a worker start removes the folders of processes no longer running, and only those', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'magnet-sweep-'));
    const gone = spawn(process.execPath, ['-e', '0']);
    const dead = await new Promise<number>((resolve) => gone.once('exit', () => resolve(gone.pid!)));
    for (const name of [
      `magnet-mcp-${dead}-notes-abc`,
      `magnet-mcp-${process.pid}-notes-abc`,
      'magnet-mcp-x',
    ])
      mkdirSync(path.join(tmp, name));
    expect(sweepScopeFolders(tmp)).toBe(1);
    expect(readdirSync(tmp).sort()).toEqual([`magnet-mcp-${process.pid}-notes-abc`, 'magnet-mcp-x']);
  });
});
