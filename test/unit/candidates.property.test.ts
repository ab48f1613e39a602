import fc from 'fast-check';
import { candidateSelector, GraphConfig, selectCandidates } from '../../src/core/graph';
import type { FunctionDef, JsonSchemaT } from '../../src/core/pool';
import { examplePool } from '../helpers/pools';

/**
 * The candidate index must rank exactly as comparing every pair does. The pools mix what makes a score
 * positive through different doors: shared field/parameter words (`user_id` / `id`, `totalCost` / `cost`),
 * names without words (`_`), shared parameter names, prose overlap, and the state hints of functions that
 * open a session or directory or report one, with small K so that the shortcut that skips prose-only
 * matches is taken too.
 */
const NAMES = [
  'id',
  'user_id',
  'userId',
  'total_cost',
  'cost',
  'path',
  'file_name',
  'session_token',
  '_',
  'city',
  'amount',
  'results',
];
const TYPES = ['string', 'number', 'integer', 'boolean', 'array', undefined];
const VERBS = [
  'get',
  'login',
  'authenticate',
  'chdir',
  'cd',
  'connect',
  'create',
  'delete',
  'check',
  'send',
  'list',
  'get_login_status',
];
const WORDS = [
  'session',
  'logged in',
  'current directory',
  'connected',
  'the',
  'user',
  'file',
  'cost',
  'city',
  'order',
  'zebra',
  'quartz',
];

const arbField = fc.record({ name: fc.constantFrom(...NAMES), type: fc.constantFrom(...TYPES) });
const arbFields = fc.uniqueArray(arbField, { maxLength: 4, selector: (f) => f.name });
const schema = (fields: { name: string; type?: string }[]): Record<string, JsonSchemaT> =>
  Object.fromEntries(fields.map((f) => [f.name, f.type ? { type: f.type } : {}]));

const arbPool: fc.Arbitrary<FunctionDef[]> = fc
  .array(
    fc.record({
      verb: fc.constantFrom(...VERBS),
      params: arbFields,
      required: fc.integer({ min: 0, max: 4 }),
      outputs: fc.option(arbFields, { nil: undefined }),
      words: fc.uniqueArray(fc.constantFrom(...WORDS), { maxLength: 4 }),
      category: fc.constantFrom('a', 'b', 'c'),
    }),
    { minLength: 1, maxLength: 40 },
  )
  .map((specs) =>
    specs.map((s, i) => ({
      name: `${s.verb}_${String.fromCharCode(97 + (i % 26))}${i}`,
      // a word of its own, so that functions can share no word at all
      description: `${s.words.join(' ')} w${i}.`,
      parameters: {
        type: 'object' as const,
        properties: schema(s.params),
        required: s.params.slice(0, s.required).map((p) => p.name),
      },
      output: s.outputs && { type: 'object', properties: schema(s.outputs) },
      category: s.category,
      source: { file: 'random', item: `item ${i}` },
    })),
  );

describe('candidate index', () => {
  it('selects exactly the candidates that comparing all pairs selects', () => {
    fc.assert(
      fc.property(
        arbPool,
        fc.integer({ min: 1, max: 12 }),
        fc.boolean(),
        (pool, maxCandidates, sameCategory) => {
          const config = GraphConfig.parse({ maxCandidates, sameCategory });
          const selector = candidateSelector(pool, config);
          pool.forEach((v, i) =>
            expect([v.name, selector.select(i)]).toEqual([v.name, selectCandidates(v, pool, config)]),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('lets a match by words alone outrank a weak data link', () => {
    const fn = (name: string, description: string, params: string[], output?: string[]): FunctionDef => ({
      name,
      description,
      parameters: {
        type: 'object',
        properties: schema(params.map((n) => ({ name: n, type: 'string' }))),
        required: params,
      },
      output: output && {
        type: 'object',
        properties: schema(output.map((n) => ({ name: n, type: 'string' }))),
      },
      category: 'a',
      source: { file: 'test', item: name },
    });
    // v's id feeds u's user_id weakly (0.2 + a little prose); w shares 8 of v's 9 words and no name
    const v = fn('zeta_alpha', 'Quartz zebra.', [], ['id']);
    const u = fn('beta_other', 'Other.', ['user_id']);
    const w = fn('alpha_zeta', 'Zeta alpha quartz zebra type object properties string.', []);
    const pool = [v, u, w];
    const config = GraphConfig.parse({ maxCandidates: 1 });
    expect(selectCandidates(v, pool, config)).toEqual(['alpha_zeta']);
    expect(candidateSelector(pool, config).select(0)).toEqual(['alpha_zeta']);
  });

  it('does so on the example pool, across categories too', () => {
    const pool = examplePool();
    for (const sameCategory of [true, false]) {
      const config = GraphConfig.parse({ sameCategory, maxCandidates: 10 });
      const selector = candidateSelector(pool, config);
      pool.forEach((v, i) => expect(selector.select(i)).toEqual(selectCandidates(v, pool, config)));
    }
  });
});
