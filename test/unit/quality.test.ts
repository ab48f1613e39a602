import type { ConversationRecord, ExecutedCall, TurnRecord } from '../../src/core/conversation';
import type { FunctionDef } from '../../src/core/pool';
import { filterTurns, normaliseQuery, QualityVerdict, withDependents } from '../../src/core/quality';
import { QueryDedup } from '../../src/export/dedup';
import { action } from '../../src/roles/offline/common';
import { offlineQualityJudge, type QualityTurn } from '../../src/roles/offline/quality_judge';
import { ROLES } from '../../src/roles';
import { lite } from '../../src/roles/common';
import { examplePool } from '../helpers/pools';

const pool = new Map(examplePool().map((f) => [f.name, f]));
const def = (name: string): FunctionDef => {
  const d = pool.get(name);
  if (!d) throw new Error(`${name} is not in the example pool`);
  return d;
};

/** A turn that passes every check: list_directory asked for with its value, answered from its result. */
function goodTurn(): QualityTurn {
  const list = def('list_directory');
  return {
    query: `Please ${action(list)} using the directory "/home/user/reports".`,
    previousQueries: [],
    turn: { functions: [{ name: 'list_directory', via: 'walk' }], labels: ['walk'] },
    defs: [list],
    calls: [
      {
        id: 'call_1_1',
        name: 'list_directory',
        arguments: { directory: '/home/user/reports' },
        sources: { directory: { kind: 'query', turn: 0 } },
        output: { directory: '/home/user/reports', count: 3 },
      },
    ],
    history: [],
    answer: { steps: ['Let me list the directory.'], final: 'The directory holds 3 entries.' },
  };
}

describe('quality judge rules (offline)', () => {
  it('passes a turn whose query, arguments and answer agree', () => {
    const v = offlineQualityJudge(goodTurn());
    expect([v.intent.score, v.grounding.score, v.faithfulness.score]).toEqual([1, 1, 1]);
  });

  it('fails intent when the query asks for something else, or a call is not the turn’s', () => {
    const off = offlineQualityJudge({ ...goodTurn(), query: 'What is the weather like in Oslo today?' });
    expect(off.intent).toMatchObject({ score: 0 });
    expect(off.intent.reason).toContain('list_directory');
    const t = goodTurn();
    const stray = offlineQualityJudge({ ...t, calls: [{ ...t.calls[0]!, name: 'delete_file' }] });
    expect(stray.intent.score).toBe(0);
    expect(stray.intent.reason).toContain('delete_file');
  });

  it('fails grounding for a value the query never states or an output that does not hold it', () => {
    const t = goodTurn();
    const invented = offlineQualityJudge({
      ...t,
      calls: [{ ...t.calls[0]!, arguments: { directory: '/etc/secret' } }],
    });
    expect(invented.grounding).toMatchObject({ score: 0, reason: 'not grounded: list_directory.directory' });
    const fromCall = offlineQualityJudge({
      ...t,
      history: [{ id: 'call_0_1', name: 'find_file', output: { path: '/home/user/other' } }],
      calls: [{ ...t.calls[0]!, sources: { directory: { kind: 'call', call: 'call_0_1', field: 'path' } } }],
    });
    expect(fromCall.grounding.score).toBe(0);
  });

  it('fails faithfulness for an invented number, an unreported failure, or an empty turn that does not decline', () => {
    const t = goodTurn();
    const invented = offlineQualityJudge({
      ...t,
      answer: { ...t.answer, final: 'The directory holds 42 entries.' },
    });
    expect(invented.faithfulness).toMatchObject({ score: 0, reason: '42 is in no result' });
    const failed = offlineQualityJudge({
      ...t,
      calls: [{ ...t.calls[0]!, output: undefined, error: 'no such directory' }],
      answer: { steps: ['Listing.'], final: 'All done.' },
    });
    expect(failed.faithfulness.score).toBe(0);
    const owned = offlineQualityJudge({
      ...t,
      calls: [{ ...t.calls[0]!, output: undefined, error: 'no such directory' }],
      answer: { steps: ['Listing.'], final: 'Listing the directory failed: no such directory.' },
    });
    expect(owned.faithfulness.score).toBe(1);
    const missing = def('delete_file');
    const empty: QualityTurn = {
      ...t,
      query: `Could you ${action(missing)}?`,
      turn: { functions: [], labels: ['miss_func'], missing: { kind: 'miss_func', function: 'delete_file' } },
      defs: [],
      missingDef: missing,
      calls: [],
    };
    expect(
      offlineQualityJudge({ ...empty, answer: { steps: [], final: 'Done, it is deleted.' } }).faithfulness
        .score,
    ).toBe(0);
    const declined = offlineQualityJudge({
      ...empty,
      answer: { steps: [], final: "I'm sorry, none of my tools can delete a file." },
    });
    expect([declined.intent.score, declined.faithfulness.score]).toEqual([1, 1]);
  });

  it('is the role’s offline answer, and a valid answer of its output schema', () => {
    const t = goodTurn();
    const task = {
      turnIndex: 0,
      turn: t.turn,
      functions: t.defs.map(lite),
      history: [],
      previousQueries: [],
      query: t.query,
      calls: t.calls.map((c) => ({ ...c })),
      answer: { ...t.answer, final: 'It holds 7 entries.' },
    };
    const v = ROLES.quality_judge.offline?.(ROLES.quality_judge.input.parse(task), 0);
    expect(QualityVerdict.parse(v).faithfulness.score).toBe(0);
  });
});

const call = (id: string, sources: ExecutedCall['sources'] = {}): ExecutedCall => ({
  id,
  name: 'f',
  arguments: {},
  sources,
  after: [],
  output: {},
  executor: 'builtin',
});
const turn = (
  index: number,
  query: string,
  calls: ExecutedCall[] = [],
  labels: TurnRecord['labels'] = ['walk'],
): TurnRecord => ({
  index,
  labels,
  functions: [],
  query,
  calls,
  assistant: { steps: [], final: 'ok' },
  negatives: [],
});
const verdict = (score: number): QualityVerdict => ({
  intent: { score: 1, reason: '' },
  grounding: { score, reason: '' },
  faithfulness: { score: 1, reason: '' },
});

describe('the filter', () => {
  // turn 2 uses turn 0's output; turn 3 takes a value from turn 1's query; 4-5 are a miss_params pair
  const turns = [
    turn(0, 'a', [call('c0')]),
    turn(1, 'b', [call('c1')]),
    turn(2, 'c', [call('c2', { x: { kind: 'call', call: 'c0', field: 'y' } })]),
    turn(3, 'd', [call('c3', { x: { kind: 'query', turn: 1 } })]),
    turn(4, 'e', [], ['miss_params']),
    turn(5, 'f', [call('c5')], ['walk', 'provides_missing']),
  ];

  it('drops a low turn with the turns that depend on it, each with its cause', () => {
    const f = filterTurns(
      turns,
      new Map([
        [0, verdict(0.2)],
        [5, verdict(0.1)],
      ]),
      { threshold: 0.5, onLow: 'drop_turn' },
    );
    expect(f.dropped).toEqual([
      { turn: 0, cause: 'low_quality', reasons: ['grounding'], score: 0.2 },
      { turn: 2, cause: 'depends' },
      { turn: 4, cause: 'pair' },
      { turn: 5, cause: 'low_quality', reasons: ['grounding'], score: 0.1 },
    ]);
    expect(
      withDependents(turns, new Map([[1, { cause: 'duplicate' as const }]])).map((d) => [d.turn, d.cause]),
    ).toEqual([
      [1, 'duplicate'],
      [3, 'depends'],
    ]);
  });

  it('cuts the conversation at the first low turn, and keeps everything at threshold 0', () => {
    const f = filterTurns(turns, new Map([[3, verdict(0)]]), { threshold: 0.5, onLow: 'cut' });
    expect(f.dropped.map((d) => [d.turn, d.cause])).toEqual([
      [3, 'low_quality'],
      [4, 'cut'],
      [5, 'cut'],
    ]);
    expect(filterTurns(turns, new Map([[3, verdict(0)]]), { threshold: 0, onLow: 'cut' }).dropped).toEqual(
      [],
    );
  });
});

describe('dedup of repeated queries', () => {
  const rec = (index: number, turns: TurnRecord[]): ConversationRecord =>
    ({
      id: `r/conv-${index}`,
      index,
      turns,
      stats: { turns: turns.length, calls: 0, failedCalls: 0, negatives: 0 },
    }) as unknown as ConversationRecord;

  it('normalises case, punctuation and spacing, not values', () => {
    expect(normaliseQuery('  Please, list the  FILES!')).toBe(normaliseQuery('please list the files'));
    expect(normaliseQuery('Book a flight to "Paris".')).not.toBe(normaliseQuery('Book a flight to "Rome".'));
  });

  it('keeps the first occurrence, removes later ones with their dependents, and counts them the same on a rerun', () => {
    const records = [
      rec(0, [
        turn(0, 'List the files.', [call('a0')]),
        turn(1, 'Read it.', [call('a1', { p: { kind: 'call', call: 'a0', field: 'x' } })]),
      ]),
      // turn 0 repeats record 0's first query: it goes, and so does turn 1 that used its output
      rec(1, [
        turn(0, 'list the files', [call('b0')]),
        turn(1, 'Then read it', [call('b1', { p: { kind: 'call', call: 'b0', field: 'x' } })]),
        turn(2, 'Something new.'),
      ]),
      // only repeats: nothing of it is exported
      rec(2, [turn(0, 'Something new!')]),
    ];
    const run = (): { out: (ConversationRecord | undefined)[]; counts: QueryDedup['counts'] } => {
      const d = new QueryDedup();
      return { out: records.map((r) => d.apply(r)), counts: d.counts };
    };
    const { out, counts } = run();
    expect(out[0]).toBe(records[0]);
    // "Something new." was first seen here (record 1, turn 2), so it stays here
    expect(out[1]?.turns.map((t) => t.index)).toEqual([2]);
    expect(out[1]?.stats.turns).toBe(1);
    expect(out[2]).toBeUndefined();
    expect(counts).toEqual({
      method: 'normalised-exact',
      applied: true,
      turns: 2,
      dependents: 1,
      conversations: 1,
    });
    expect(run().counts).toEqual(counts);
    // counting only: every record comes back whole, the counts say what removal would do
    const count = new QueryDedup(false);
    expect(records.map((r) => count.apply(r))).toEqual(records);
    expect(count.counts).toEqual({ ...counts, applied: false });
  });
});
