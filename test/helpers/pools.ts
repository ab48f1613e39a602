import fc from 'fast-check';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { mergeFunctions, parsePoolText, type FunctionDef } from '../../src/core/pool';
import { lite, type TurnTask } from '../../src/roles/common';

export const EXAMPLE_POOL_DIR = path.join(__dirname, '..', '..', 'examples', 'pool');

export function examplePool(): FunctionDef[] {
  const files = readdirSync(EXAMPLE_POOL_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort();
  return mergeFunctions(
    files.map((f) =>
      parsePoolText(readFileSync(path.join(EXAMPLE_POOL_DIR, f), 'utf8'), f, f.replace(/\.json$/, '')),
    ),
  ).functions;
}

/** The first turn of a conversation over `fns` (one call each, walked), as the roles' tasks give it. */
export function firstTurnOf(fns: FunctionDef[]): TurnTask {
  return {
    turnIndex: 0,
    turn: { functions: fns.map((f) => ({ name: f.name, via: 'walk' as const })), labels: ['walk'] },
    functions: fns.map(lite),
    history: [],
    previousQueries: [],
  };
}

const VOCAB = [
  'path',
  'content',
  'user_id',
  'message_id',
  'price',
  'symbol',
  'order_id',
  'distance',
  'city',
  'exists',
  'value',
  'unit',
];

/** Random pools whose parameter and output names overlap, so the offline judge finds edges. */
export const arbPool: fc.Arbitrary<FunctionDef[]> = fc
  .array(
    fc.record({
      params: fc.uniqueArray(fc.constantFrom(...VOCAB), { minLength: 1, maxLength: 3 }),
      requiredCount: fc.integer({ min: 0, max: 3 }),
      outputs: fc.uniqueArray(fc.constantFrom(...VOCAB), { minLength: 0, maxLength: 3 }),
      category: fc.constantFrom('a', 'b', 'c'),
    }),
    { minLength: 2, maxLength: 24 },
  )
  .map((specs) =>
    specs.map((s, i) => ({
      name: `fn_${i}`,
      description: `Does thing ${i} with ${s.params.join(' and ')}.`,
      parameters: {
        type: 'object' as const,
        properties: Object.fromEntries(
          s.params.map((p) => [
            p,
            {
              type: p === 'exists' ? 'boolean' : p === 'price' || p === 'distance' ? 'number' : 'string',
              description: p,
            },
          ]),
        ),
        required: s.params.slice(0, Math.min(s.requiredCount, s.params.length)),
      },
      output:
        s.outputs.length > 0
          ? {
              type: 'object',
              properties: Object.fromEntries(
                s.outputs.map((o) => [
                  o,
                  {
                    type:
                      o === 'exists' ? 'boolean' : o === 'price' || o === 'distance' ? 'number' : 'string',
                    description: `the ${o}`,
                  },
                ]),
              ),
            }
          : undefined,
      category: s.category,
      source: { file: 'random', item: `item ${i}` },
    })),
  );
