import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { conversationStatusQuery } from '../../src/contracts';
import type { ConversationRecord } from '../../src/core/conversation';
import { closeAll } from '../../src/tools/mcp/sessions';
import { magnetCli, until } from '../helpers/cli';
import { ITEMS_DOC_FILE, refusingURL, startItemsService, type ItemsService } from '../helpers/items-service';
import { ROOT_DIR } from '../helpers/mcp';
import { prepare, startRun } from '../helpers/run';
import { connect, temporalAddress, workflowBundle } from '../helpers/temporal';

/**
 * Tools that fail where they run are never data (issue 21): an MCP server that crashes on every call, an HTTP
 * service whose port refuses connections, and one that hangs or answers 10 MB past the run's limits. Their
 * conversations retry the step, then wait; `magnet status` names the sources; once the tools are fixed,
 * `magnet retry --failed` completes them and no exported row carries the failures.
 */
const TEN_MB = 10 * 1024 * 1024;
const json = { 'application/json': { schema: { type: 'object', properties: { id: { type: 'string' } } } } };
const idParam = [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }];
const op = (operationId: string, summary: string): object => ({
  get: {
    operationId,
    summary,
    tags: ['things'],
    parameters: idParam,
    responses: { '200': { description: 'ok', content: json } },
  },
});
const DOC = {
  openapi: '3.0.3',
  info: { title: 'misbehaving things', version: '1' },
  servers: [{ url: 'http://placeholder' }],
  paths: {
    '/things/{id}/slow': op('slow_thing', 'Inspect a thing slowly.'),
    '/things/{id}/huge': op('huge_thing', 'Dump a thing.'),
  },
};
const BANK = path.join(__dirname, '..', 'fixtures', 'mcp', 'bank-server.js');

let client: Client;
let things: http.Server;
let thingsURL: string;
let broken = true;
const hung: http.ServerResponse[] = [];
let items: ItemsService | undefined;
beforeAll(async () => {
  await workflowBundle();
  client = await connect();
  things = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (!broken) return void res.end(JSON.stringify({ id: 'fine' }));
    if (req.url?.endsWith('/slow')) return void hung.push(res);
    res.end(JSON.stringify({ id: 'x'.repeat(TEN_MB) }));
  });
  await new Promise<void>((resolve) => things.listen(0, '127.0.0.1', resolve));
  thingsURL = `http://127.0.0.1:${(things.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await closeAll();
  things.closeAllConnections();
  await new Promise((resolve) => things.close(resolve));
  await items?.close();
  await client?.connection.close();
});

it('a crashing server, a refused port, a hung and a huge answer: conversations wait, never export the failures', async () => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'magnet-safe-run-'));
  writeFileSync(path.join(home, 'things.json'), JSON.stringify(DOC));
  const crashFile = path.join(home, 'crash');
  writeFileSync(crashFile, 'crash on every call');
  const refused = await refusingURL();
  const configFile = path.join(home, 'run.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      seed: 5,
      conversations: 6,
      mix: { multi_turn: 1 },
      failedTurns: { waitSeconds: 600 },
      pool: [
        { openapi: { file: 'things.json', name: 'things', baseURL: thingsURL } },
        {
          mcp: {
            name: 'crashy',
            command: process.execPath,
            args: [BANK],
            cwd: ROOT_DIR,
            env: { CRASH_FILE: crashFile },
            setup: [{ tool: 'login', arguments: { username: 'alice', password: 'pw-alice-1' } }],
          },
        },
        { openapi: { file: ITEMS_DOC_FILE, name: 'down', baseURL: refused } },
      ],
      execution: { timeoutSeconds: 1, maxOutputBytes: 100_000 },
      llm: { default: { provider: 'offline' } },
    }),
  );
  const runId = `safe-run-${process.pid}-${Date.now()}`;
  const input = await prepare(home, configFile, runId);
  const run = await startRun(client, input);
  try {
    const conv = (i: number): string => `${runId}/conv-${String(i).padStart(5, '0')}`;
    // every conversation's first outside call fails where it runs: the step retries, then it waits
    const failures = await until(
      'every conversation waiting',
      async () => {
        const out = [];
        for (let i = 0; i < 6; i++) {
          const s = await client.workflow.getHandle(conv(i)).query(conversationStatusQuery);
          if (!s.waiting || !s.failure) return undefined;
          out.push(s.failure);
        }
        return out;
      },
      240_000,
    );
    for (const f of failures) {
      // the first step that reaches the tools: the look before a turn, or its calls
      expect(f).toMatchObject({
        stage: expect.stringMatching(/^(observe|execute)$/),
        type: 'ToolUnavailable',
      });
      expect(f.message).toMatch(/^(MCP server crashy|OpenAPI service (down|things)) \(/);
    }
    const messages = failures.map((f) => f.message).join('\n');
    console.log(`safe run: waiting with\n${messages}`);
    const env = { ...process.env, TEMPORAL_ADDRESS: temporalAddress(), MAGNET_HOME: home };
    const st = await magnetCli(['status', runId], env);
    expect(st.stdout).toContain('6 waiting for retry');
    expect(st.stdout).toContain('ToolUnavailable');
    for (const name of new Set(messages.match(/(?<=^(MCP server|OpenAPI service) )\w+/gm)))
      expect(st.stdout).toContain(name);
    // a hung call was given up once per attempt, none left beside it
    expect(hung.length).toBeLessThanOrEqual(6 * 5 * 2);

    // the tools are fixed: the server no longer crashes, the port answers, the service answers small
    rmSync(crashFile);
    items = await startItemsService({ port: Number(new URL(refused).port) });
    broken = false;
    const r = await magnetCli(['retry', runId, '--failed'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const summary = await run.done;
    // every conversation ended: written, or emptied by the turns its failed calls cost (kept aside in filtered/)
    expect(summary.failed).toBe(0);
    const filtered = path.join(input.outDir, 'filtered');
    const emptied = existsSync(filtered) ? readdirSync(filtered).length : 0;
    expect(summary.conversations + emptied).toBe(6);
    expect(
      existsSync(path.join(input.outDir, 'failed')) ? readdirSync(path.join(input.outDir, 'failed')) : [],
    ).toEqual([]);
    const dir = path.join(input.outDir, 'conversations');
    const records = readdirSync(dir).map(
      (f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as ConversationRecord,
    );
    const calls = records.flatMap((x) => x.turns.flatMap((t) => t.calls));
    expect(calls.length).toBeGreaterThan(0);
    // nothing of the failures reached the data
    const text = readFileSync(summary.files.sft, 'utf8') + JSON.stringify(records);
    for (const bad of [
      'Connection closed',
      'ECONNREFUSED',
      'no answer within',
      'byte limit',
      'the tool failed',
    ])
      expect(text).not.toContain(bad);
  } finally {
    // a failed check leaves conversations waiting: end the run, or its workers never stop
    await run.handle.terminate().catch(() => undefined);
    await run.stop();
  }
}, 420_000);
