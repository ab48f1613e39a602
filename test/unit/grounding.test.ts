import { groundTurns, type GroundedTurn } from '../../src/core/grounding';

const call = (id: string, error?: string, sources: GroundedTurn['calls'][number]['sources'] = {}) => ({
  id,
  sources,
  ...(error ? { error } : {}),
});

describe('groundTurns: turns whose calls failed or were not made', () => {
  const turns: GroundedTurn[] = [
    { index: 0, labels: ['walk'], planned: 1, calls: [call('c1')] },
    { index: 1, labels: ['walk'], planned: 1, calls: [call('c2', 'Account ACC-9 not found')] },
    // uses the failed turn's output: goes with it
    {
      index: 2,
      labels: ['walk'],
      planned: 1,
      calls: [call('c3', undefined, { id: { kind: 'call', call: 'c2' } })],
    },
    // a planned call that could not be made
    { index: 3, labels: ['walk'], planned: 2, calls: [call('c4')] },
    // asks for a missing value: no call planned, none made
    { index: 4, labels: ['miss_params'], planned: 0, calls: [] },
    { index: 5, labels: ['provides_missing'], planned: 1, calls: [call('c5')] },
  ];

  it('drops failed and unmade turns with their dependents, never keeping more than asked', () => {
    const g = groundTurns(turns, 1, 0);
    expect(g.dropped).toEqual([
      { turn: 1, cause: 'tool_error', errors: ['c2: Account ACC-9 not found'] },
      { turn: 2, cause: 'depends' },
      { turn: 3, cause: 'not_made' },
    ]);
    expect(g.keptErrorTurns).toEqual([]);
  });

  it('says why a turn went: the failures execution reported (a call not made has no record of its own)', () => {
    const [first] = turns;
    const g = groundTurns(
      [
        {
          ...first,
          planned: 2,
          failures: ['get_item: not made: input id comes from call_1_1, which failed'],
        } as GroundedTurn,
      ],
      1,
      0,
    );
    expect(g.dropped).toEqual([
      {
        turn: 0,
        cause: 'not_made',
        errors: ['get_item: not made: input id comes from call_1_1, which failed'],
      },
    ]);
  });

  it('keeps a failed turn, labelled, with probability keepErrorTurns (seeded)', () => {
    expect(groundTurns(turns, 1, 1)).toEqual({
      dropped: [{ turn: 3, cause: 'not_made' }],
      keptErrorTurns: [1],
    });
    const kept = Array.from({ length: 400 }, (_, s) => groundTurns(turns, s, 0.05).keptErrorTurns.length);
    const share = kept.reduce((a, b) => a + b, 0) / kept.length;
    expect(share).toBeGreaterThan(0.01);
    expect(share).toBeLessThan(0.1);
    expect(groundTurns(turns, 9, 0.05)).toEqual(groundTurns(turns, 9, 0.05));
  });

  it('drops later turns on an outside server a removed turn had changed', () => {
    const on = (id: string, source: string, error?: string) => ({ ...call(id, error), source });
    const g = groundTurns(
      [
        // the write succeeded, the read failed: the turn goes, and the server keeps the write
        {
          index: 0,
          labels: ['walk'],
          planned: 2,
          calls: [on('w', 'mcp:files'), on('r', 'mcp:files', 'ENOENT')],
        },
        { index: 1, labels: ['walk'], planned: 1, calls: [on('l', 'mcp:files')] },
        { index: 2, labels: ['walk'], planned: 1, calls: [on('m', 'mcp:memory')] },
      ],
      1,
      0,
    );
    expect(g.dropped).toEqual([
      { turn: 0, cause: 'tool_error', errors: ['r: ENOENT'] },
      { turn: 1, cause: 'state' },
    ]);
  });
});
