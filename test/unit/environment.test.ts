import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { drawState, drawStates, resolveStateRefs } from '../../src/core/environment';
import { PoolError } from '../../src/core/pool';
import { checkSetup, readStates, splitEnvironment } from '../../src/tools/states';
import type { ToolSource } from '../../src/core/pool';

const STATES = [{ users: [{ name: 'ann', pw: 'a1' }] }, { users: [{ name: 'bo', pw: 'b2' }] }];

describe('drawState: the state a conversation starts from', () => {
  it('is drawn from the seed, the same every time, and spread over the states', () => {
    const src = { name: 'bank', states: STATES };
    expect(drawState(src, 7)).toEqual(drawState(src, 7));
    const drawn = new Set(Array.from({ length: 40 }, (_, s) => drawState(src, s)?.index));
    expect(drawn).toEqual(new Set([0, 1]));
    expect(drawState({ name: 'plain' }, 1)).toBeUndefined();
  });

  it('resolves $state references of setup calls against the drawn state', () => {
    const src = {
      name: 'bank',
      states: STATES,
      setup: [
        { tool: 'login', arguments: { username: '$state.users[0].name', password: '$state.users[0].pw' } },
      ],
      bfclClass: 'BankAPI',
    };
    const d = drawState(src, 3);
    const user = (d?.state as (typeof STATES)[number]).users[0];
    expect(d?.setup).toEqual([{ tool: 'login', arguments: { username: user?.name, password: user?.pw } }]);
    expect(d?.bfclClass).toBe('BankAPI');
    expect(drawStates([src, { name: 'plain' }], 3)).toEqual({ bank: d });
  });

  it('keeps text that only mentions $state, and names a reference that leads nowhere', () => {
    expect(resolveStateRefs({ note: 'see $state.x', all: '$state' }, { x: 1 })).toEqual({
      note: 'see $state.x',
      all: { x: 1 },
    });
    expect(() => resolveStateRefs('$state.users[3].name', STATES[0], 'setup call login')).toThrow(
      'setup call login: $state.users[3].name is not in the drawn state (no 3)',
    );
  });
});

describe('states in a pool entry', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'magnet-states-'));

  it('reads a JSON array, JSON lines, and a folder of fixture folders', async () => {
    writeFileSync(path.join(dir, 's.json'), JSON.stringify(STATES));
    writeFileSync(path.join(dir, 's.jsonl'), STATES.map((s) => JSON.stringify(s)).join('\n') + '\n');
    mkdirSync(path.join(dir, 'fx', 'one', 'docs'), { recursive: true });
    writeFileSync(path.join(dir, 'fx', 'one', 'docs', 'a.txt'), 'hello');
    mkdirSync(path.join(dir, 'fx', 'two'));
    writeFileSync(path.join(dir, 'fx', 'two', 'b.md'), '# b');
    expect(await readStates(path.join(dir, 's.json'), 'x')).toEqual(STATES);
    expect(await readStates(path.join(dir, 's.jsonl'), 'x')).toEqual(STATES);
    expect(await readStates(path.join(dir, 'fx'), 'x')).toEqual([
      { $fixture: 'one', files: { 'docs/a.txt': 'hello' } },
      { $fixture: 'two', files: { 'b.md': '# b' } },
    ]);
  });

  it('names the file, line and field of a bad entry', async () => {
    writeFileSync(path.join(dir, 'bad.jsonl'), '{"a":1}\n{oops\n');
    await expect(readStates(path.join(dir, 'bad.jsonl'), 'x')).rejects.toThrow(/bad\.jsonl line 2: not JSON/);
    writeFileSync(path.join(dir, 'obj.json'), '{"a":1}');
    await expect(readStates(path.join(dir, 'obj.json'), 'x')).rejects.toThrow(
      /states must be a non-empty JSON array/,
    );
    expect(() => splitEnvironment({ states: 'nope.json' }, dir, 'run.json: MCP server bank')).toThrow(
      PoolError,
    );
    expect(() =>
      splitEnvironment({ setup: [{ tool: 'login', args: {} }] }, dir, 'run.json: MCP server bank'),
    ).toThrow(/run\.json: MCP server bank: field setup\.0/);
    const { rest, env } = splitEnvironment(
      { name: 'bank', command: 'node', states: 's.json', bfclClass: 'BankAPI' },
      dir,
      'w',
    );
    expect(rest).toEqual({ name: 'bank', command: 'node' });
    expect(env).toEqual({ states: path.join(dir, 's.json'), bfclClass: 'BankAPI' });
  });

  it('refuses at load a setup whose $state path leads nowhere in one of the states', () => {
    const source = {
      kind: 'mcp',
      name: 'bank',
      states: [{ users: [{ name: 'a' }] }, { accounts: [] }],
      setup: [{ tool: 'login', arguments: { username: '$state.users[0].name' } }],
    } as unknown as ToolSource;
    expect(() => checkSetup(source)).toThrow(
      'MCP server bank: field setup: setup call 1: $state.users[0].name is not in the drawn state (no users) (state 2 of 2)',
    );
    expect(() => checkSetup({ ...source, states: [{ users: [{ name: 'b' }] }] } as ToolSource)).not.toThrow();
  });
});
