import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { writeConversationActivity } from '../../src/activities/conversation';
import { loadPoolActivity } from '../../src/activities/pool';
import { putJson } from '../../src/io/artifacts';
import { indexPool, type FunctionDef, type JsonSchemaT } from '../../src/core/pool';
import type { PlannedCall } from '../../src/core/conversation';
import { argumentProblem, executeTurn } from '../../src/tools/execute';
import { EXAMPLE_POOL_DIR, examplePool } from '../helpers/pools';

/**
 * Valid by construction: in the reference answer (strict execution), a call whose input comes from a failed
 * call, from a field its source did not return, or has the wrong type is not made; a student's answer (not
 * strict) keeps such calls with their error, since a negative example is wrong on purpose.
 */
const pool = indexPool({ functions: examplePool() });

const call = (
  id: string,
  name: string,
  args: Record<string, unknown>,
  refs: PlannedCall['refs'] = {},
): PlannedCall => ({
  id,
  name,
  arguments: args,
  refs,
  sources: Object.fromEntries([
    ...Object.keys(args).map((k) => [k, { kind: 'query', turn: 0 }]),
    ...Object.entries(refs).map(([k, r]) => [k, { kind: 'call', ...r }]),
  ]) as PlannedCall['sources'],
});

describe('strict execution (the reference answer)', () => {
  it('does not make a call whose input comes from a failed call; the failed call keeps its error result', async () => {
    const planned = [
      call('call_1_1', 'get_booking_details', { booking_id: 'BK-DOES-NOT-EXIST' }),
      call('call_1_2', 'cancel_booking', {}, { booking_id: { call: 'call_1_1', field: 'booking_id' } }),
    ];
    const strict = await executeTurn(planned, pool, {}, 1, 'builtin', undefined, true);
    expect(strict.calls.map((c) => c.id)).toEqual(['call_1_1']);
    expect(strict.calls[0]?.error).toMatch(/booking not found/);
    expect(strict.skipped).toEqual([
      {
        id: 'call_1_2',
        name: 'cancel_booking',
        reason: 'input booking_id comes from call_1_1, which failed',
      },
    ]);
    // every call made fits its tool
    for (const c of strict.calls) expect(argumentProblem(pool.get(c.name)!, c.arguments)).toBeUndefined();

    // a negative example keeps the call, with no argument and an error: it is wrong on purpose
    const loose = await executeTurn(planned, pool, {}, 1, 'builtin');
    expect(loose.calls.map((c) => c.id)).toEqual(['call_1_1', 'call_1_2']);
    expect(loose.calls[1]?.arguments).toEqual({});
    expect(loose.skipped).toEqual([]);
  });

  it('does not make a call fed a field its source lacks, or a value of the wrong type', async () => {
    const missingField = [
      call('call_1_1', 'get_distance', { origin_city: 'Paris', destination_city: 'Berlin' }),
      call(
        'call_1_2',
        'estimate_travel_time',
        { mode: 'car' },
        { distance: { call: 'call_1_1', field: 'no_such_field' } },
      ),
    ];
    const a = await executeTurn(missingField, pool, {}, 1, 'auto', undefined, true);
    expect(a.calls.map((c) => c.id)).toEqual(['call_1_1']);
    expect(a.skipped[0]).toMatchObject({
      id: 'call_1_2',
      reason: expect.stringMatching(/has no field no_such_field/) as unknown,
    });

    // a string where a number is required
    const wrongType = [
      call('call_1_1', 'get_distance', { origin_city: 'Paris', destination_city: 'Berlin' }),
      call(
        'call_1_2',
        'estimate_travel_time',
        { mode: 'car' },
        { distance: { call: 'call_1_1', field: 'unit' } },
      ),
    ];
    const b = await executeTurn(wrongType, pool, {}, 1, 'auto', undefined, true);
    expect(b.skipped.map((s) => s.id)).toEqual(['call_1_2']);
    expect(b.skipped[0]?.reason).toMatch(/distance must be number/);
  });

  it('takes a same-turn input from a field of an array element of the earlier output', async () => {
    const book = { type: 'object', properties: { book_id: { type: 'string' }, title: { type: 'string' } } };
    const def = (name: string, params: string[], output: JsonSchemaT): FunctionDef => ({
      name,
      description: `${name}.`,
      parameters: {
        type: 'object',
        properties: Object.fromEntries(params.map((k) => [k, { type: 'string' }])),
        required: params,
      },
      output,
      category: 'library',
      source: { file: 'test', item: name },
    });
    const library = new Map([
      [
        'list_books',
        def('list_books', [], { type: 'object', properties: { books: { type: 'array', items: book } } }),
      ],
      ['get_book', def('get_book', ['book_id'], book)],
    ]);
    const outputs: Record<string, unknown> = {
      list_books: {
        books: [{ title: 'Untitled draft' }, { book_id: 'bk-2', title: 'Two' }, { book_id: 'bk-3' }],
      },
      get_book: { book_id: 'bk-2', title: 'Two' },
    };
    const simulate = (d: FunctionDef): Promise<unknown> => Promise.resolve(outputs[d.name]);
    const run = (field: string) =>
      executeTurn(
        [
          call('call_1_1', 'list_books', {}),
          call('call_1_2', 'get_book', {}, { book_id: { call: 'call_1_1', field } }),
        ],
        library,
        {},
        1,
        'simulated',
        simulate,
        true,
      );
    // the first book that has a book_id, or the one the index names
    expect((await run('books[].book_id')).calls[1]?.arguments).toEqual({ book_id: 'bk-2' });
    expect((await run('books[2].book_id')).calls[1]?.arguments).toEqual({ book_id: 'bk-3' });
    const missing = await run('books[].isbn');
    expect(missing.skipped).toEqual([
      { id: 'call_1_2', name: 'get_book', reason: 'output of call_1_1 has no field books[].isbn' },
    ]);
  });

  it('argumentProblem names a missing required argument and a wrong type', () => {
    const def = pool.get('estimate_travel_time')!;
    expect(argumentProblem(def, { mode: 'car' })).toBe('required argument distance is missing');
    expect(argumentProblem(def, { distance: '12', mode: 'car' })).toMatch(/distance must be number/);
    expect(argumentProblem(def, { distance: 12, mode: 'car' })).toBeUndefined();
  });
});

describe('the record writer, the last guard', () => {
  /** `addedLater`: a second turn adds the function (ops.provideFuncProb), so the first may not call it. */
  async function write(calls: unknown[], addedLater = false): Promise<unknown> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'magnet-writer-'));
    const storeDir = path.join(dir, 'store');
    const { poolRef } = await loadPoolActivity({ poolPaths: [EXAMPLE_POOL_DIR], storeDir });
    // activities heartbeat: run it as Temporal would, in an activity context
    const input: Parameters<typeof writeConversationActivity>[0] = {
      storeDir,
      outDir: path.join(dir, 'out'),
      id: 'r/conv-00000',
      runId: 'r',
      index: 0,
      seed: 1,
      fsp: {
        walk: ['estimate_travel_time'],
        turns: [
          { functions: [{ name: 'estimate_travel_time', via: 'walk' }], labels: ['walk'] },
          ...(addedLater
            ? [
                {
                  functions: [{ name: 'estimate_travel_time', via: 'walk' as const }],
                  labels: ['provides_function' as const],
                  adds: ['estimate_travel_time'],
                },
              ]
            : []),
        ],
        trace: { mergeBoundaries: 0, merges: 0, insertsShort: 0, insertsLong: 0, split: 'none' },
      },
      tools: ['estimate_travel_time'],
      turns: [
        {
          query: 'How long is a 120 km drive by car?',
          callsRef: await putJson(storeDir, calls),
          assistant: { steps: ['Let me estimate.'], final: 'About 1h 30m.' },
        },
      ].flatMap((t) => (addedLater ? [t, t] : [t])),
      provenance: { backend: 'offline', models: {} },
      poolRef,
    };
    return new MockActivityEnvironment().run(writeConversationActivity, input);
  }
  const made = (args: Record<string, unknown>, name = 'estimate_travel_time'): unknown => ({
    id: 'call_1_1',
    name,
    arguments: args,
    sources: {},
    after: [],
    output: { hours: 1.5 },
    executor: 'builtin',
  });

  it('writes a record whose calls fit their tools', async () => {
    await expect(write([made({ distance: 120, mode: 'car' })])).resolves.toMatchObject({ calls: 1 });
  });

  it.each([
    ['a missing required argument', made({ mode: 'car' }), /required argument distance is missing/],
    ['a mistyped argument', made({ distance: '120', mode: 'car' }), /distance must be number/],
    [
      'a tool not offered',
      made({ city: 'Rome' }, 'get_weather'),
      /get_weather is not among the offered tools/,
    ],
    [
      'a tool a later turn adds',
      made({ distance: 120, mode: 'car' }),
      /not among the offered tools at this turn/,
    ],
  ])('refuses %s (InvalidCall, naming the turn and call)', async (what, call, reason) => {
    const later = what === 'a tool a later turn adds';
    const err = (await write([call], later).catch((e: unknown) => e)) as ApplicationFailure;
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err.type).toBe('InvalidCall');
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toMatch(/^r\/conv-00000 turn 1: call call_1_1 \(\w+\) refused: /);
    expect(err.message).toMatch(reason);
  });
});
