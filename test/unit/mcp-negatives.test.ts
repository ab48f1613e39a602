import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LlmConfig, resolveRole } from '../../src/core/config';
import { loadCalls } from '../../src/io/stored';
import { negativeTurnActivity } from '../../src/activities/negatives';
import { putJson } from '../../src/io/artifacts';
import { executeTurn } from '../../src/tools/execute';
import { callMcp } from '../../src/tools/mcp/execute';
import { closeAll, liveCount } from '../../src/tools/mcp/sessions';
import { listMcpFunctions, mcpSource } from '../../src/tools/mcp/source';
import { startFakeOpenAI, type FakeServer } from '../fakes';
import { notesEntry } from '../helpers/mcp';

/**
 * A negative trajectory (a student's wrong calls, really executed) on an MCP pool runs in a scope of its own,
 * rebuilt from the conversation's calls before the turn: it sees the conversation's state, and the
 * conversation never sees what the wrong calls did.
 */

let server: FakeServer;
beforeAll(async () => {
  server = await startFakeOpenAI();
});
afterAll(async () => {
  await closeAll();
  await server?.close();
});

test('wrong calls run on a rebuilt copy of the conversation state, never on the conversation itself', async () => {
  process.env.MAGNET_NEG_KEY = 'sk-neg';
  const dir = mkdtempSync(path.join(os.tmpdir(), 'magnet-mcp-neg-'));
  const storeDir = path.join(dir, 'store');
  const notes = mcpSource(notesEntry(), dir, 'test');
  const functions = await listMcpFunctions(notes);
  const poolRef = await putJson(storeDir, { functions, sources: [notes] });
  const pool = new Map(functions.map((f) => [f.name, f]));

  // turn 1 of the conversation: a note created on the conversation's own server
  const scopeKey = 'run-x/conv-00001';
  const turn1 = await executeTurn(
    [{ id: 'call_1_1', name: 'create_note', arguments: { title: 'kept' }, refs: {}, sources: {} }],
    pool,
    {},
    1,
    'auto',
    undefined,
    true,
    { sources: [notes], scope: { key: scopeKey, history: [] } },
  );
  const callsRef = await putJson(storeDir, turn1.calls);
  const live = liveCount();

  const llm = LlmConfig.parse({
    providers: { p: { kind: 'openai', baseURL: `${server.url}/v1`, apiKeyEnv: 'MAGNET_NEG_KEY' } },
    default: { provider: 'p', model: 'm' },
  });
  const teacher = resolveRole(llm, 'negative_teacher', {
    cacheDir: path.join(dir, 'cache'),
    ledgerFile: path.join(dir, 'ledger.jsonl'),
  });
  const fn = (name: string) => ({ name, via: 'walk' as const });
  const neg = await negativeTurnActivity({
    storeDir,
    poolRef,
    seed: 1,
    fsp: {
      walk: ['create_note', 'create_note'],
      turns: [
        { functions: [fn('create_note')], labels: [] },
        { functions: [fn('create_note')], labels: [] },
      ],
      trace: { mergeBoundaries: 0, merges: 0, insertsShort: 0, insertsLong: 0, split: 'none' },
    } as never,
    turnIndex: 1,
    previous: [{ query: 'make a note called kept', callsRef }],
    query: 'make a note called right',
    wrong: {
      sample: 0,
      calls: [{ name: 'create_note', arguments: { title: 'wrong' } }],
      errors: [{ type: 'long_dependency', detail: 'the title of the wrong note' }],
    },
    mode: 'auto',
    teacher,
    scopeKey,
  });
  const [wrong] = await loadCalls(storeDir, neg.callsRef);
  // the negative's server had the conversation's note: the wrong one is the second
  expect(wrong).toMatchObject({ executor: 'mcp:notes', output: { note_id: 'note-2', title: 'wrong' } });
  expect(wrong?.rebuilt).toEqual([{ source: 'notes', calls: 1, differences: [] }]);
  // its scope is closed, and the conversation's own server never saw the wrong note
  expect(liveCount()).toBe(live);
  const history = turn1.calls;
  expect(await callMcp(notes, 'list_notes', {}, { key: scopeKey, history })).toMatchObject({
    count: 1,
    notes: [{ title: 'kept' }],
  });
});
