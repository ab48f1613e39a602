import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { indexPool } from '../../src/core/pool';
import { loadPool } from '../../src/tools/pool-loader';
import { checkRecord } from '../helpers/checks';
import { prepare, runToEnd } from '../helpers/run';
import { connect, workflowBundle } from '../helpers/temporal';

/**
 * A run on a real HTTP service (an OpenAPI document) whose tools misbehave: one hangs, one answers 10 MB,
 * one fails. With the run config's limits (execution.timeoutSeconds, execution.maxOutputBytes) the run
 * completes and each turn records the tool error; no worker stalls.
 */
const TEN_MB = 10 * 1024 * 1024;
const json = { 'application/json': { schema: { type: 'object', properties: { id: { type: 'string' } } } } };
const idParam = [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }];
const DOC = {
  openapi: '3.0.3',
  info: { title: 'misbehaving things', version: '1' },
  servers: [{ url: 'http://placeholder' }],
  paths: {
    '/things': {
      post: {
        operationId: 'create_thing',
        summary: 'Create a thing and return its id.',
        tags: ['things'],
        responses: { '200': { description: 'made', content: json } },
      },
    },
    '/things/{id}/slow': {
      get: {
        operationId: 'slow_thing',
        summary: 'Inspect a thing slowly (this service never answers).',
        tags: ['things'],
        parameters: idParam,
        responses: { '200': { description: 'ok', content: json } },
      },
    },
    '/things/{id}/huge': {
      get: {
        operationId: 'huge_thing',
        summary: 'Dump a thing (this service answers 10 MB).',
        tags: ['things'],
        parameters: idParam,
        responses: { '200': { description: 'ok', content: json } },
      },
    },
    '/things/{id}/broken': {
      get: {
        operationId: 'broken_thing',
        summary: 'Check a thing (this service fails).',
        tags: ['things'],
        parameters: idParam,
        responses: { '200': { description: 'ok', content: json } },
      },
    },
  },
};

let client: Client;
let server: http.Server;
let baseURL: string;
const hung: http.ServerResponse[] = [];
let made = 0;

beforeAll(async () => {
  await workflowBundle();
  client = await connect();
  server = http.createServer((req, res) => {
    if (req.method === 'POST')
      return void res.setHeader('content-type', 'application/json').end(JSON.stringify({ id: `t${++made}` }));
    if (req.url?.endsWith('/slow')) return void hung.push(res);
    if (req.url?.endsWith('/huge'))
      return void res
        .setHeader('content-type', 'application/json')
        .end(JSON.stringify({ id: 'x'.repeat(TEN_MB) }));
    res.statusCode = 500;
    res.end('internal error: the thing broke');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await client?.connection.close();
});

it('tools that hang, answer 10 MB or fail: the run completes and the turns record the errors', async () => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'magnet-safe-run-'));
  writeFileSync(path.join(home, 'things.json'), JSON.stringify(DOC));
  const configFile = path.join(home, 'run.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      seed: 5,
      conversations: 6,
      // the test is about conversations' calls: multi-turn items only (the mix has its own test)
      mix: { multi_turn: 1 },
      pool: [{ openapi: { file: 'things.json', name: 'things', baseURL } }],
      execution: { timeoutSeconds: 1, maxOutputBytes: 100_000 },
      llm: { default: { provider: 'offline' } },
    }),
  );
  const input = await prepare(home, configFile, `safe-run-${Date.now()}`);
  const summary = await runToEnd(client, input);
  expect(summary).toMatchObject({ conversations: 6, failed: 0 });
  const pool = indexPool(await loadPool(input.poolPaths, input.poolSources));
  const dir = path.join(input.outDir, 'conversations');
  const records = readdirSync(dir).map((f) =>
    checkRecord(JSON.parse(readFileSync(path.join(dir, f), 'utf8')), pool),
  );
  const calls = records.flatMap((r) => r.turns.flatMap((t) => t.calls));
  const errors = (name: string): string[] =>
    calls.filter((c) => c.name === name).map((c) => c.error ?? 'no error');
  console.log(
    `safe run: ${calls.length} calls: ${[...new Set(calls.map((c) => c.name))].map((n) => `${n} ${errors(n).length}`).join(', ')}`,
  );
  expect(calls.every((c) => c.executor === 'http')).toBe(true);
  expect(errors('slow_thing').length).toBeGreaterThan(0);
  for (const e of errors('slow_thing')) expect(e).toBe('no answer within 1 s');
  expect(errors('huge_thing').length).toBeGreaterThan(0);
  for (const e of errors('huge_thing')) expect(e).toBe('HTTP 200: answer over the 100000-byte limit');
  for (const e of errors('broken_thing')) expect(e).toMatch(/^HTTP 500 .*the thing broke/);
  // one request per hung call: the step gave up on it and went on, no second attempt was started beside it
  expect(hung.length).toBe(errors('slow_thing').length);
}, 240_000);
