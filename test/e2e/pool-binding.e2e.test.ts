import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { makeRunDir, prepare, readRecords, runToEnd } from '../helpers/run';
import { connect, workflowBundle } from '../helpers/temporal';

/**
 * A user brings a trading pool whose function names are magnet's built-in ones (place_order, get_order_status,
 * cancel_order) with their own parameters, next to the built-in messaging pool. A real run (offline roles)
 * must simulate the user's functions and run built-in code only for the built-in pool: before functions were
 * bound by source, the user's `place_order` ran the example code ("missing required argument quantity").
 */
const USER_POOL = `# a third-party broker's tools (YAML): same names as magnet's examples, other parameters
tools:
  - name: get_symbol_by_name
    description: Look up the ticker symbol of a listed company.
    parameters:
      type: object
      properties: { company: { type: string, description: Company name. } }
      required: [company]
    output:
      type: object
      properties: { symbol: { type: string } }
      required: [symbol]
  - name: place_order
    description: Buy a stock for an amount of money.
    parameters:
      type: object
      properties:
        symbol: { type: string, description: Ticker symbol. }
        amount: { type: number, description: Money to spend, in USD. }
      required: [symbol, amount]
    output:
      type: object
      properties: { order_id: { type: string }, filled: { type: boolean } }
      required: [order_id, filled]
  - name: get_order_status
    description: Current state of an order.
    parameters:
      type: object
      properties: { order_id: { type: string } }
      required: [order_id]
    output:
      type: object
      properties: { order_id: { type: string }, state: { type: string } }
      required: [order_id, state]
  - name: cancel_order
    description: Cancel an open order, giving a reason.
    parameters:
      type: object
      properties: { order_id: { type: string }, reason: { type: string } }
      required: [order_id, reason]
    output:
      type: object
      properties: { order_id: { type: string }, cancelled: { type: boolean } }
      required: [order_id, cancelled]
`;

let client: Client;
beforeAll(async () => {
  await workflowBundle();
  client = await connect();
});
afterAll(async () => {
  await client?.connection.close();
});

it('a user pool named like the built-in functions is never executed by built-in code', async () => {
  const { home, configFile } = makeRunDir({});
  mkdirSync(path.join(home, 'broker'));
  writeFileSync(path.join(home, 'broker', 'trading.yaml'), USER_POOL);
  // the config: the user's folder and the built-in messaging pool
  writeFileSync(
    configFile,
    JSON.stringify({
      pool: ['broker', 'builtin:messaging'],
      // seed 1: the walks of two of the three conversations are in the user's pool, one in messaging
      seed: 1,
      conversations: 3,
      // the test is about conversations' calls: multi-turn items only (the mix has its own test)
      mix: { multi_turn: 1 },
      ops: { walkLength: 4 },
      llm: { default: { provider: 'offline' } },
    }),
  );
  const input = await prepare(home, configFile, `binding-${Date.now()}`);
  const summary = await runToEnd(client, input);
  expect(summary).toMatchObject({ conversations: 3, failed: 0 });
  const { records, pool } = await readRecords(input);
  const calls = records.flatMap((r) => r.turns.flatMap((t) => t.calls));
  const mine = calls.filter((c) => pool.get(c.name)?.category === 'trading');
  const builtin = calls.filter((c) => pool.get(c.name)?.category === 'messaging');
  // both kinds were called, so the test sees both bindings
  expect(mine.length).toBeGreaterThan(0);
  expect(builtin.length).toBeGreaterThan(0);
  for (const c of mine) {
    expect(c.executor).toBe('simulated');
    expect(c.error ?? '').not.toMatch(/missing required argument|unknown|not found/);
  }
  expect(mine.filter((c) => c.name === 'place_order').every((c) => 'amount' in c.arguments)).toBe(true);
  for (const c of builtin) expect(c.executor).toBe('builtin');
}, 180_000);
