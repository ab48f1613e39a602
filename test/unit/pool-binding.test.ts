import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { indexPool, type FunctionDef } from '../../src/core/pool';
import { loadPool } from '../../src/tools/pool-loader';
import { builtinPoolDir, resolvePoolPath } from '../../src/io/pool-paths';
import { builtinToolSets, toolSetOf } from '../../src/tools/builtin';
import { executeTurn } from '../../src/tools/execute';
import { resolvePoolEntries } from '../../src/tools/sources';
import { EXAMPLE_POOL_DIR } from '../helpers/pools';

/** Who runs a function is decided by where its definition came from, not by its name. */
const dir = mkdtempSync(path.join(os.tmpdir(), 'magnet-binding-'));

/** A user's trading tools: the built-in names, their own parameters. */
const userShop = [
  {
    name: 'place_order',
    description: 'Place an order for an amount of money worth of a stock.',
    parameters: {
      type: 'object',
      properties: { symbol: { type: 'string' }, amount: { type: 'number' } },
      required: ['symbol', 'amount'],
    },
    output: { type: 'object', properties: { order_id: { type: 'string' } }, required: ['order_id'] },
  },
];

function builtinTool(category: string, name: string): { function: Record<string, unknown> } {
  const tools = JSON.parse(readFileSync(path.join(EXAMPLE_POOL_DIR, `${category}.json`), 'utf8')) as {
    function: Record<string, unknown>;
  }[];
  const t = tools.find((x) => x.function.name === name);
  if (!t) throw new Error(`${name} is not in ${category}.json`);
  return t;
}

describe('binding functions to implementations', () => {
  it('every function of the built-in pool runs its tool set; outputs are declared', async () => {
    const pool = await loadPool([builtinPoolDir()]);
    expect(pool.functions.length).toBe(builtinToolSets.reduce((n, s) => n + s.functions.length, 0));
    for (const f of pool.functions) {
      expect(f.impl).toEqual({ kind: 'builtin', set: f.category });
      expect(f.outputOrigin).toBe('declared');
      expect(toolSetOf(f)?.name).toBe(f.category);
    }
  });

  it('`builtin` and `builtin:<category>` name the built-in pool in configs and --pool', () => {
    expect(resolvePoolPath('builtin')).toBe(builtinPoolDir());
    expect(resolvePoolPath('builtin:travel')).toBe(path.join(builtinPoolDir(), 'travel.json'));
    expect(resolvePoolPath('./builtin', '/x')).toBe('/x/builtin');
    expect(resolvePoolPath('shop.json', '/x')).toBe('/x/shop.json');
    expect(resolvePoolEntries(['builtin:messaging', 'mine'], '/cfg', 'c.json').poolPaths).toEqual([
      path.join(builtinPoolDir(), 'messaging.json'),
      '/cfg/mine',
    ]);
  });

  it('a user function named like a built-in one is simulated, never run by the built-in code', async () => {
    const file = path.join(dir, 'shop.json');
    writeFileSync(file, JSON.stringify(userShop, null, 2));
    const pool = indexPool(await loadPool([file, resolvePoolPath('builtin:messaging')]));
    const mine = pool.get('place_order') as FunctionDef;
    expect(mine.impl).toEqual({ kind: 'simulated' });
    expect(toolSetOf(mine)).toBeUndefined();
    expect(pool.get('send_message')?.impl).toEqual({ kind: 'builtin', set: 'messaging' });
    const { calls } = await executeTurn(
      [{ id: 'c1', name: 'place_order', arguments: { symbol: 'ACME', amount: 250 }, refs: {}, sources: {} }],
      pool,
      {},
      5,
      'auto',
    );
    expect(calls[0]).toMatchObject({ executor: 'simulated', name: 'place_order' });
    expect(calls[0]?.error).toBeUndefined();
    expect(typeof (calls[0]?.output as { order_id?: unknown }).order_id).toBe('string');
    // "only built-in code" has nothing to run for it
    const strictBuiltin = await executeTurn(
      [{ id: 'c1', name: 'place_order', arguments: { symbol: 'ACME', amount: 250 }, refs: {}, sources: {} }],
      pool,
      {},
      5,
      'builtin',
    );
    expect(strictBuiltin.calls[0]?.error).toBe('no built-in implementation of place_order');
  });

  it('a copy of a built-in definition runs built-in code; one changed parameter or output makes it simulated', async () => {
    const same = builtinTool('travel', 'get_nearest_airport');
    const described = { ...same, function: { ...same.function, description: 'Airport of a city.' } };
    const params = builtinTool('travel', 'get_flight_cost');
    const fn = params.function as { parameters: { required: string[] } };
    const changed = { ...params, function: { ...fn, parameters: { ...fn.parameters, required: [] } } };
    const out = builtinTool('travel', 'get_distance');
    const noOutput = { ...out, function: { ...out.function, output: undefined } };
    const file = path.join(dir, 'mytravel.json');
    writeFileSync(file, JSON.stringify([described, changed, noOutput]));
    const pool = indexPool(await loadPool([file]));
    expect(pool.get('get_nearest_airport')?.impl).toEqual({ kind: 'builtin', set: 'travel' });
    expect(pool.get('get_flight_cost')?.impl).toEqual({ kind: 'simulated' });
    expect(pool.get('get_distance')?.impl).toEqual({ kind: 'simulated' });
    expect(pool.get('get_distance')?.outputOrigin).toBeUndefined();
  });

  it('a pool stored by an earlier release (no impl) keeps built-in code by name', async () => {
    const pool = await loadPool([builtinPoolDir()]);
    const legacy = pool.functions.map(({ impl: _impl, outputOrigin: _o, ...f }) => f);
    const send = legacy.find((f) => f.name === 'get_user_id') as FunctionDef;
    expect(toolSetOf(send)?.name).toBe('messaging');
    const { calls } = await executeTurn(
      [{ id: 'c1', name: 'get_user_id', arguments: { user_name: 'nobody-here' }, refs: {}, sources: {} }],
      indexPool({ functions: legacy }),
      {},
      5,
      'auto',
    );
    expect(calls[0]?.executor).toBe('builtin');
  });
});
