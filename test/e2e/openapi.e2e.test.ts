import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { validatePath } from '../../src/cli/validate';
import type { ExecutedCall } from '../../src/core/conversation';
import { indexPool } from '../../src/core/pool';
import { loadPool } from '../../src/tools/pool-loader';
import { checkRecord } from '../helpers/checks';
import { startPetstore, type PetstoreServer } from '../helpers/petstore-server';
import { endedIndices, prepare, runToEnd } from '../helpers/run';
import { connect, workflowBundle } from '../helpers/temporal';

/**
 * A run whose pool is a real OpenAPI document (the OpenAPI Initiative's petstore-expanded.yaml): the graph is
 * built from its operations, and every call of every conversation is a real HTTP request to a local server
 * implementing them. The offline backend plays the LLM roles; it needs no network.
 */
const DOC = path.join(__dirname, '..', 'fixtures', 'openapi', 'petstore-expanded.yaml');

let client: Client;
let store: PetstoreServer;
beforeAll(async () => {
  await workflowBundle();
  client = await connect();
  store = await startPetstore();
});
afterAll(async () => {
  await store?.close();
  await client?.connection.close();
});

it('synthesizes conversations whose calls were executed over HTTP, an id made by one call used by a later one', async () => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'magnet-openapi-run-'));
  const configFile = path.join(home, 'run.json');
  process.env.MAGNET_TEST_PETSTORE_TOKEN = 'e2e-token';
  writeFileSync(
    configFile,
    JSON.stringify({
      name: 'openapi',
      seed: 3,
      conversations: 6,
      // the test is about conversations' calls: multi-turn items only (the mix has its own test)
      mix: { multi_turn: 1 },
      pool: [
        {
          openapi: {
            file: path.relative(home, DOC),
            name: 'petstore',
            baseURL: store.baseURL,
            auth: { type: 'bearer', env: 'MAGNET_TEST_PETSTORE_TOKEN' },
          },
        },
      ],
      llm: { default: { provider: 'offline' } },
    }),
  );
  const runId = `openapi-${process.pid}-${Date.now()}`;
  const input = await prepare(home, configFile, runId);
  // the workflow input names the credential's variable, never its value
  expect(input.poolSources).toEqual([expect.objectContaining({ kind: 'openapi', name: 'petstore' })]);
  expect(JSON.stringify(input)).not.toContain('e2e-token');

  const summary = await runToEnd(client, input);
  expect(summary).toMatchObject({ failed: 0, backend: 'offline' });
  // every conversation ended with a record: written, or emptied by the grounding of failed calls
  expect(endedIndices(input.outDir)).toEqual([0, 1, 2, 3, 4, 5]);
  // a pool we did not write (real tools from outside): the SFT export has no invalid call, every call its result
  const sft = await validatePath(summary.files.sft);
  expect(sft.map((r) => ({ format: r.format, problems: r.problems }))).toEqual([
    { format: 'openai', problems: [] },
  ]);
  expect(sft[0]?.rows).toBe(summary.conversations);

  const pool = indexPool(await loadPool(input.poolPaths, input.poolSources));
  const dir = path.join(input.outDir, 'conversations');
  const records = readdirSync(dir)
    .sort()
    .map((f) => checkRecord(JSON.parse(readFileSync(path.join(dir, f), 'utf8')), pool));
  expect(records).toHaveLength(summary.conversations);
  const calls = records.flatMap((r) => r.turns.flatMap((t) => t.calls));
  expect(calls.length).toBeGreaterThan(0);
  // every call went to the service, with the credential from the environment (so did the observations before
  // each turn and the calls of turns written again or dropped: more requests than exported calls)
  expect(calls.every((c) => c.executor === 'http')).toBe(true);
  const petRequests = store.requests.filter((r) => r.url.startsWith('/v2/pets'));
  expect(petRequests.length).toBeGreaterThanOrEqual(calls.length);
  expect(petRequests.every((r) => r.headers.authorization === 'Bearer e2e-token')).toBe(true);
  console.log(
    `openapi run: ${records.length} conversations, ${calls.length} HTTP calls (${calls.filter((c) => c.error).length} tool errors), ` +
      `functions ${[...new Set(calls.map((c) => c.name))].sort().join(', ')}`,
  );

  // a pet created by addPet in one turn, found or deleted by its server-made id in a later turn
  const chained = records.flatMap((r) => {
    const byId = new Map<string, { call: ExecutedCall; turn: number }>();
    r.turns.forEach((t, turn) => t.calls.forEach((call) => byId.set(call.id, { call, turn })));
    return r.turns.flatMap((t, turn) =>
      t.calls.flatMap((call) => {
        const src = call.sources.id;
        if (src?.kind !== 'call' || call.error) return [];
        const from = byId.get(src.call);
        if (from?.call.name !== 'addPet' || from.turn >= turn) return [];
        return [{ from: from.call, to: call }];
      }),
    );
  });
  console.log(`openapi run: ${chained.length} calls used the id of a pet created in an earlier turn`);
  expect(chained.length).toBeGreaterThan(0);
  for (const { from, to } of chained) {
    const made = (from.output as { id: number }).id;
    expect(to.arguments.id).toBe(made);
    expect(store.requests.some((r) => r.url === `/v2/pets/${made}`)).toBe(true);
    if (to.name === 'find_pet_by_id') expect(to.output).toEqual(from.output);
    else expect(to.output).toEqual({ status: 204 });
  }
});
