import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { Client } from '@temporalio/client';
import { validatePath } from '../../src/cli/validate';
import type { ConversationRecord, ExecutedCall } from '../../src/core/conversation';
import type { ToolSource } from '../../src/core/pool';
import { startInstance } from '../../src/tools/mcp/connect';
import { executeOnInstance } from '../../src/tools/mcp/execute';
import { closeAll } from '../../src/tools/mcp/sessions';
import { ToolError } from '../../src/tools/types';
import { ITEMS_DOC_FILE, startItemsService, type ItemsService } from '../helpers/items-service';
import { filesystemEntry, memoryEntry, ROOT_DIR } from '../helpers/mcp';
import { prepare, runToEnd } from '../helpers/run';
import { connect, workflowBundle } from '../helpers/temporal';

/**
 * Calls grounded in the environment (issue 21): one offline run on stateful tools magnet did not write, each
 * source starting from a declared state: server-filesystem (a folder of fixture folders), server-memory (a
 * seeded knowledge graph as a fixture), a bank server that needs a login (done by `setup` from the drawn
 * state) and ids from earlier calls, and an HTTP items service (create -> read/update/delete by UUID; its
 * state reset by a setup request). Nearly every exported call succeeds, nothing empty is exported, and every
 * conversation replays on fresh MCP servers from its recorded state with the recorded outputs.
 */

const BANK = path.join(__dirname, '..', 'fixtures', 'mcp', 'bank-server.js');
let client: Client;
let items: ItemsService;
beforeAll(async () => {
  await workflowBundle();
  client = await connect();
  items = await startItemsService();
});
afterAll(async () => {
  await closeAll();
  await items?.close();
  await client?.connection.close();
});

function write(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

/** Two states per source: fixture folders for the file-backed servers, JSON for the bank and the service. */
function states(home: string): void {
  write(path.join(home, 'fs', 'alpha', 'docs', 'budget.txt'), 'Quarterly budget draft\n');
  write(path.join(home, 'fs', 'alpha', 'readme.txt'), 'todo: ship\n');
  write(path.join(home, 'fs', 'beta', 'notes', 'plan.txt'), 'Plan for launch\n');
  write(path.join(home, 'fs', 'beta', 'notes', 'ideas.md'), '# ideas\n');
  const entity = (name: string, entityType: string, obs: string): string =>
    JSON.stringify({ type: 'entity', name, entityType, observations: [obs] });
  write(
    path.join(home, 'mem', 'a', 'memory.jsonl'),
    [
      entity('Alice', 'person', 'works at Acme'),
      entity('Acme', 'company', 'makes widgets'),
      JSON.stringify({ type: 'relation', from: 'Alice', to: 'Acme', relationType: 'works_at' }),
    ].join('\n') + '\n',
  );
  write(path.join(home, 'mem', 'b', 'memory.jsonl'), entity('Bob', 'person', 'likes tea') + '\n');
  const user = (u: string): { username: string; password: string } => ({ username: u, password: `pw-${u}` });
  write(
    path.join(home, 'bank.json'),
    JSON.stringify([
      {
        users: [user('alice'), user('bob')],
        accounts: [
          { account_id: 'ACC-1001', owner: 'alice', balance: 120.5 },
          { account_id: 'ACC-1002', owner: 'alice', balance: 40 },
          { account_id: 'ACC-2001', owner: 'bob', balance: 300 },
        ],
      },
      { users: [user('carol')], accounts: [{ account_id: 'ACC-3001', owner: 'carol', balance: 900 }] },
    ]),
  );
  const item = (id: string, name: string, quantity: number): object => ({ id, name, quantity });
  write(
    path.join(home, 'items.jsonl'),
    [
      { items: [item('0b6d3a52-8f43-4c55-9a0e-3c1f4f6f2a10', 'pen', 3)] },
      { items: [item('5d0c1a2e-7b9f-4e0a-8c1d-2f3e4a5b6c7d', 'lamp', 1)] },
    ]
      .map((s) => JSON.stringify(s))
      .join('\n') + '\n',
  );
}

const records = (outDir: string): ConversationRecord[] =>
  readdirSync(path.join(outDir, 'conversations'))
    .sort()
    .map(
      (f) => JSON.parse(readFileSync(path.join(outDir, 'conversations', f), 'utf8')) as ConversationRecord,
    );

/**
 * An output with its wall-clock times masked: a fresh instance writes its fixture files anew, so the times a
 * file server reports (created, modified) are the one thing a replay cannot reproduce.
 */
function timeless(v: unknown): unknown {
  return JSON.parse(
    JSON.stringify(v ?? null)
      .replace(/\w{3} \w{3} \d{2} \d{4} \d{2}:\d{2}:\d{2} GMT[+-]\d{4} \([^)]*\)/g, '<time>')
      .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, '<time>'),
  ) as unknown;
}

/** Runs a record's calls of one MCP source on a fresh instance from its recorded state: outputs that differ. */
async function replay(source: ToolSource, rec: ConversationRecord): Promise<string[]> {
  const env = rec.environment?.[source.name];
  const instance = await startInstance(source, { state: env?.state, scopeKey: rec.id });
  const diffs: string[] = [];
  try {
    for (const c of env?.setup ?? []) if ('tool' in c) await executeOnInstance(instance, c.tool, c.arguments);
    for (const call of rec.turns.flatMap((t) => t.calls).filter((c) => c.executor === `mcp:${source.name}`)) {
      let output: unknown;
      let error: string | undefined;
      try {
        output = await executeOnInstance(instance, call.name, call.arguments);
      } catch (e) {
        if (!(e instanceof ToolError)) throw e;
        error = e.message;
      }
      const same = call.error
        ? error !== undefined
        : isDeepStrictEqual(timeless(output), timeless(call.output));
      if (!same) diffs.push(`${rec.id} ${call.id} ${call.name}`);
    }
  } finally {
    await instance.close();
  }
  return diffs;
}

it('calls on stateful servers and a service: grounded in their declared states, replayable, nothing empty', async () => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'magnet-grounded-'));
  states(home);
  const configFile = path.join(home, 'run.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      seed: 21,
      conversations: 40,
      mix: { multi_turn: 1 },
      concurrency: { conversations: 4 },
      pool: [
        { mcp: { ...filesystemEntry(), states: 'fs' } },
        { mcp: { ...memoryEntry(), states: 'mem' } },
        {
          mcp: {
            name: 'bank',
            command: process.execPath,
            args: [BANK, '--state', '${stateFile}'],
            cwd: ROOT_DIR,
            states: 'bank.json',
            setup: [
              {
                tool: 'login',
                arguments: { username: '$state.users[0].username', password: '$state.users[0].password' },
              },
            ],
            bfclClass: 'BankAPI',
          },
        },
        {
          openapi: {
            file: ITEMS_DOC_FILE,
            name: 'items',
            baseURL: items.baseURL,
            // the service keeps each conversation's items apart by this header
            scopeHeader: 'X-Magnet-Scope',
            states: 'items.jsonl',
            setup: [{ method: 'post', path: '/_reset', body: '$state.items' }],
          },
        },
      ],
      // half the conversations on BFCL's side: entries enough to check their initial configs
      export: { formats: ['bfcl'], split: 0.5 },
      llm: { default: { provider: 'offline' } },
    }),
  );
  const input = await prepare(home, configFile, `grounded-${process.pid}-${Date.now()}`);
  const summary = await runToEnd(client, input);
  expect(summary.failed).toBe(0);
  const recs = records(input.outDir);
  const calls = recs.flatMap((r) => r.turns.flatMap((t) => t.calls));
  const by = (pred: (c: ExecutedCall) => boolean): { ok: number; all: number } => {
    const cs = calls.filter(pred);
    return { ok: cs.filter((c) => !c.error).length, all: cs.length };
  };
  const sources = ['mcp:files', 'mcp:memory', 'mcp:bank', 'http'];
  const figures = Object.fromEntries(sources.map((s) => [s, by((c) => c.executor === s)]));
  const regenerated = recs.flatMap((r) => r.turns).reduce((n, t) => n + (t.regenerated ?? 0), 0);
  console.log(
    `grounded: ${recs.length} records, ${calls.length} calls, ok by source ${JSON.stringify(figures)}, regenerations ${regenerated}, observations ${recs.flatMap((r) => r.turns.flatMap((t) => t.observed ?? [])).length}, requests ${items.requests.length} (${items.requests.filter((r) => r.status < 300).length} 2xx)`,
  );
  // every source is used, and >= 95% of the exported calls succeed (>= 90% of the service's are 2xx)
  for (const s of sources) expect(figures[s]?.all).toBeGreaterThan(3);
  const all = by(() => true);
  expect(all.ok / all.all).toBeGreaterThanOrEqual(0.95);
  const http = figures.http as { ok: number; all: number };
  expect(http.ok / http.all).toBeGreaterThanOrEqual(0.9);

  // every id-taking call of the service uses an id that exists: the state's or one an earlier call returned
  let idCalls = 0;
  for (const r of recs) {
    const state = r.environment?.items?.state as { items?: { id: string }[] } | undefined;
    const known = new Set((state?.items ?? []).map((i) => i.id));
    for (const c of r.turns.flatMap((t) => t.calls)) {
      if (c.executor !== 'http') continue;
      const id = c.arguments.itemId;
      if (id !== undefined) {
        idCalls++;
        expect(known).toContain(id);
      }
      const out = c.output as { id?: string; items?: { id: string }[] } | null;
      if (out?.id) known.add(out.id);
      for (const i of out?.items ?? []) known.add(i.id);
    }
  }
  expect(idCalls).toBeGreaterThan(3);

  // before their turns were written, the roles saw what exists: read-only calls, recorded, never exported
  const observed = recs.flatMap((r) => r.turns.flatMap((t) => t.observed ?? []));
  expect(observed.some((o) => o.name === 'listItems')).toBe(true);
  expect(observed.some((o) => o.name === 'read_graph')).toBe(true);

  // nothing empty: no assistant message without text or calls, and the exports validate
  for (const r of recs)
    for (const t of r.turns) expect(t.assistant.final.trim() !== '' || t.calls.length > 0).toBe(true);
  const checked = await validatePath(summary.files.sft);
  expect(checked.flatMap((f) => f.problems)).toEqual([]);

  // the BFCL entries say which state each class started from
  const entriesFile = (summary.files.exports ?? []).find(
    (f) => /BFCL_v3_multi_turn\w*_magnet\.json$/.test(f) && !f.includes('possible_answer'),
  );
  const bfcl = readFileSync(entriesFile as string, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { initial_config: Record<string, unknown>; involved_classes: string[] });
  const bank = bfcl.filter((e) => e.involved_classes.includes('BankAPI'));
  expect(bank.length).toBeGreaterThan(0);
  for (const e of bank) expect(e.initial_config.BankAPI).toMatchObject({ users: expect.any(Array) });

  // every record replays on fresh servers from its recorded state with the recorded outputs
  await closeAll();
  const poolSources = input.poolSources as ToolSource[];
  const diffs: string[] = [];
  for (const r of recs)
    for (const s of poolSources.filter((p) => p.kind === 'mcp' && r.environment?.[p.name]))
      diffs.push(...(await replay(s, r)));
  expect(diffs).toEqual([]);
}, 600_000);
