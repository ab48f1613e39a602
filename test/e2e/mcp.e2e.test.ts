import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { validatePath } from '../../src/cli/validate';
import type { ConversationRecord, ExecutedCall } from '../../src/core/conversation';
import { closeAll } from '../../src/tools/mcp/sessions';
import { memoryEntry, notesEntry } from '../helpers/mcp';
import { endedIndices, prepare, runToEnd } from '../helpers/run';
import { connect, workflowBundle } from '../helpers/temporal';

/**
 * A run whose pool is two MCP servers run as stdio processes: server-memory from npm and magnet's notes test
 * server (its create_note returns ids later calls need). Pool, graph and conversations go through the whole
 * pipeline (offline backend); every call is executed by its server, one server process per conversation.
 */

let client: Client;
beforeAll(async () => {
  await workflowBundle();
  client = await connect();
});
afterAll(async () => {
  await closeAll();
  await client?.connection.close();
});

function records(outDir: string): ConversationRecord[] {
  const dir = path.join(outDir, 'conversations');
  return readdirSync(dir)
    .sort()
    .map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as ConversationRecord);
}

const calls = (r: ConversationRecord): (ExecutedCall & { turn: number })[] =>
  r.turns.flatMap((t) => t.calls.map((c) => ({ ...c, turn: t.index })));

it('MCP pool → graph → conversations executed by the servers, each conversation with its own state', async () => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'magnet-mcp-run-'));
  const configFile = path.join(home, 'run.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      pool: [{ mcp: notesEntry({ inferOutputs: 'all' }) }, { mcp: memoryEntry() }],
      seed: 5,
      conversations: 6,
      // the test is about conversations' calls: multi-turn items only (the mix has its own test)
      mix: { multi_turn: 1 },
      concurrency: { conversations: 3 },
      llm: { default: { provider: 'offline' } },
    }),
  );
  const runId = `mcp-e2e-${process.pid}-${Date.now()}`;
  const input = await prepare(home, configFile, runId);
  const summary = await runToEnd(client, input);
  expect(summary).toMatchObject({ failed: 0 });
  // every conversation ended with a record: written, or emptied by the grounding of failed calls
  expect(endedIndices(input.outDir)).toEqual([0, 1, 2, 3, 4, 5]);
  // a pool we did not write (real tools from outside): the SFT export has no invalid call, every call its result
  const sft = await validatePath(summary.files.sft);
  expect(sft.map((r) => ({ format: r.format, problems: r.problems }))).toEqual([
    { format: 'openai', problems: [] },
  ]);
  expect(sft[0]?.rows).toBe(summary.conversations);

  const graph = JSON.parse(readFileSync(path.join(input.outDir, 'graph.json'), 'utf8')) as {
    edges: { from: string; to: string }[];
  };
  // the inferred output schema of create_note (note_id) gives the graph its edge to get_note
  expect(graph.edges).toEqual(
    expect.arrayContaining([expect.objectContaining({ from: 'create_note', to: 'get_note' })]),
  );

  const recs = records(input.outDir);
  const all = recs.flatMap(calls);
  expect(all.length).toBeGreaterThan(0);
  for (const c of all) expect(c.executor).toMatch(/^mcp:(notes|memory)$/);

  // an id created in an earlier turn is used in a later one, and the server knows it there
  const long = recs.flatMap((r) =>
    calls(r).filter(
      (c) =>
        c.name === 'get_note' &&
        !c.error &&
        calls(r).some(
          (k) =>
            k.name === 'create_note' &&
            k.turn < c.turn &&
            (k.output as { note_id: string }).note_id === c.arguments.note_id,
        ),
    ),
  );
  expect(long.length).toBeGreaterThan(0);

  // each conversation has its own server: its notes are numbered from 1, and it lists only its own notes
  for (const r of recs) {
    const created = calls(r).filter((c) => c.name === 'create_note' && !c.error);
    expect(created.map((c) => (c.output as { note_id: string }).note_id)).toEqual(
      created.map((_, i) => `note-${i + 1}`),
    );
    const own = new Set(created.map((c) => c.arguments.title));
    for (const l of calls(r).filter((c) => c.name === 'list_notes' && !c.error))
      for (const n of (l.output as { notes: { title: string }[] }).notes) expect(own.has(n.title)).toBe(true);
  }
  expect(recs.filter((r) => calls(r).some((c) => c.name === 'create_note')).length).toBeGreaterThan(1);
});
