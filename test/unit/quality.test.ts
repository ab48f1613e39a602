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

  describe('grounding: every argument value comes from somewhere', () => {
    /** read_message of `id` (sourced from the query unless told), asked for in a query that names no id. */
    const readTurn = (id: unknown, extra: Partial<QualityTurn> = {}): QualityTurn => {
      const read = def('read_message');
      return {
        query: `Please ${action(read)}.`,
        previousQueries: [],
        turn: { functions: [{ name: 'read_message', via: 'walk' }], labels: ['walk'] },
        defs: [read],
        calls: [
          {
            id: 'call_2_1',
            name: 'read_message',
            arguments: { message_id: id },
            sources: { message_id: { kind: 'query', turn: 0 } },
            output: { text: 'hi' },
          },
        ],
        history: [],
        answer: { steps: [], final: 'It says hi.' },
        ...extra,
      };
    };
    const score = (t: QualityTurn): number => offlineQualityJudge(t).grounding.score;

    it('fails a made-up id, found in no query, output or environment', () => {
      const v = offlineQualityJudge(
        readTurn('msg-8739', {
          previousQueries: ['Show me my latest message from user "u-17".'],
          history: [{ id: 'call_1_1', name: 'get_latest_message', output: { message_id: 'msg-0001' } }],
          environment: { message_id: ['msg-0002', 'msg-0003'] },
          environmentRows: [{ message_id: 'msg-0004', user_id: 'u-17' }],
        }),
      );
      expect(v.grounding).toMatchObject({ score: 0, reason: 'not grounded: read_message.message_id' });
      // outside quotes, a value glued to other letters or digits is not stated: 87 is not in msg-8739
      expect(score(readTurn(87, { query: 'Read message msg-8739.' }))).toBe(0);
    });

    it('passes a value the query or an earlier one states, in any case or inside quotes', () => {
      expect(score(readTurn('MSG-8739', { query: 'Read the message msg-8739, please.' }))).toBe(1);
      expect(score(readTurn('8739', { previousQueries: ['The id is "msg-8739" I think.'] }))).toBe(1);
      expect(score(readTurn(42, { query: 'Read message 42.' }))).toBe(1);
    });

    it('passes a value an earlier output holds, or an output of an earlier call of the turn (by reference)', () => {
      const history = [{ id: 'call_1_1', name: 'get_latest_message', output: { message_id: 'msg-0001' } }];
      expect(score(readTurn('msg-0001', { history }))).toBe(1);
      // sourced from the call: the call's output must hold it
      const fromCall = { message_id: { kind: 'call' as const, call: 'call_1_1', field: 'message_id' } };
      const t = readTurn('msg-0001', { history });
      expect(score({ ...t, calls: [{ ...t.calls[0]!, sources: fromCall }] })).toBe(1);
      const failed = [{ ...history[0]!, error: 'timeout' }];
      expect(score({ ...t, history: failed, calls: [{ ...t.calls[0]!, sources: fromCall }] })).toBe(0);
      // same turn: get_latest_message runs first, read_message takes its id by reference
      const latest = def('get_latest_message');
      const r = readTurn('msg-0009');
      const sameTurn: QualityTurn = {
        ...r,
        turn: {
          functions: [
            { name: 'get_latest_message', via: 'walk' },
            { name: 'read_message', via: 'nested_short' },
          ],
          labels: ['insert_short'],
        },
        defs: [latest, def('read_message')],
        calls: [
          {
            id: 'call_2_1',
            name: 'get_latest_message',
            arguments: {},
            sources: {},
            output: { message_id: 'msg-0009' },
          },
          { ...r.calls[0]!, id: 'call_2_2', sources: {} },
        ],
      };
      expect(score(sameTurn)).toBe(1);
      // ... but not from a call that comes after it
      expect(score({ ...sameTurn, calls: [...sameTurn.calls].reverse() })).toBe(0);
    });

    it('passes a value of the environment (by parameter name, or a record of it), and defaults', () => {
      expect(score(readTurn('msg-0002', { environment: { message_id: ['msg-0002'] } }))).toBe(1);
      expect(score(readTurn('msg-0002', { environment: { user_id: ['msg-0002'] } }))).toBe(0);
      expect(
        score(readTurn('msg-0004', { environmentRows: [{ message_id: 'msg-0004', user_id: 'u1' }] })),
      ).toBe(1);
      const t = readTurn('msg-8739');
      expect(score({ ...t, calls: [{ ...t.calls[0]!, sources: { message_id: { kind: 'default' } } }] })).toBe(
        1,
      );
    });

    it('checks each leaf of an object or list, and takes an enum value the query names', () => {
      const write = def('write_file');
      const t: QualityTurn = {
        query: 'Append "hello" to the file "/tmp/notes.txt".',
        previousQueries: [],
        turn: { functions: [{ name: 'write_file', via: 'walk' }], labels: ['walk'] },
        defs: [write],
        calls: [
          {
            id: 'call_1_1',
            name: 'write_file',
            arguments: { path: '/tmp/notes.txt', content: 'hello', mode: 'append' },
            sources: {},
            output: {},
          },
        ],
        history: [],
        answer: { steps: [], final: 'Done.' },
      };
      expect(score(t)).toBe(1);
      const list = readTurn(['msg-1', 'msg-2'], { query: 'Read the messages "msg-1, msg-2".' });
      expect(score(list)).toBe(1);
      expect(score(readTurn(['msg-1', 'msg-3'], { query: list.query }))).toBe(0);
      expect(
        score(readTurn({ id: 'msg-1', box: { name: 'inbox' } }, { query: 'Read msg-1 in my inbox.' })),
      ).toBe(1);
      expect(
        score(readTurn({ id: 'msg-1', box: { name: 'spam' } }, { query: 'Read msg-1 in my inbox.' })),
      ).toBe(0);
    });

    it('reaches the judge through the role, with the task’s environment', () => {
      const t = readTurn('msg-0002');
      const task = {
        turnIndex: 1,
        turn: t.turn,
        functions: t.defs.map(lite),
        history: [],
        previousQueries: [],
        environment: { message_id: ['msg-0002'] },
        query: t.query,
        calls: t.calls.map((c) => ({ ...c })),
        answer: t.answer,
      };
      const verdict = (input: object): QualityVerdict =>
        QualityVerdict.parse(ROLES.quality_judge.offline?.(ROLES.quality_judge.input.parse(input), 0));
      expect(verdict(task).grounding.score).toBe(1);
      expect(verdict({ ...task, environment: {} }).grounding.score).toBe(0);
    });
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
