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

/**
 * The entities of made-up business services, for pools bigger than the example one (the graph drawing of
 * 128 functions): each entity gets the calls a real API has for it, and some take the id of an entity of
 * another service (`order_id` in shipping), so a graph judged across categories links them.
 */
const SERVICES: Record<string, { entity: string; needs?: string }[]> = {
  calendar: [
    { entity: 'event' },
    { entity: 'reminder', needs: 'event' },
    { entity: 'attendee', needs: 'event' },
  ],
  crm: [{ entity: 'customer' }, { entity: 'lead', needs: 'customer' }, { entity: 'deal', needs: 'lead' }],
  inventory: [{ entity: 'product' }, { entity: 'warehouse' }, { entity: 'stock_level', needs: 'product' }],
  orders: [
    { entity: 'order', needs: 'customer' },
    { entity: 'order_line', needs: 'product' },
    { entity: 'coupon' },
  ],
  shipping: [
    { entity: 'shipment', needs: 'order' },
    { entity: 'parcel', needs: 'shipment' },
    { entity: 'carrier' },
  ],
  payments: [
    { entity: 'invoice', needs: 'order' },
    { entity: 'payment', needs: 'invoice' },
    { entity: 'refund', needs: 'payment' },
  ],
  support: [
    { entity: 'ticket', needs: 'customer' },
    { entity: 'agent' },
    { entity: 'ticket_comment', needs: 'ticket' },
  ],
  human_resources: [
    { entity: 'employee' },
    { entity: 'leave_request', needs: 'employee' },
    { entity: 'payslip', needs: 'employee' },
  ],
};

/** A pool of `count` functions (at most 8 services x 18 calls) over SERVICES, parsed as a pool file is. */
export function servicePool(count: number): FunctionDef[] {
  const id = (e: string) => ({ type: 'string', description: `Identifier of the ${e.replace(/_/g, ' ')}.` });
  const record = (e: string) => ({
    type: 'object',
    properties: {
      [`${e}_id`]: id(e),
      [`${e}_status`]: { type: 'string', description: `Status of the ${e}.` },
    },
    required: [`${e}_id`],
  });
  const calls = (e: string, needs?: string) => {
    const words = e.replace(/_/g, ' ');
    const parent = needs ? { [`${needs}_id`]: id(needs) } : {};
    return [
      {
        name: `create_${e}`,
        description: `Create a ${words}.`,
        params: { ...parent, [`${e}_title`]: { type: 'string', description: `Title of the ${words}.` } },
        output: record(e),
      },
      {
        name: `get_${e}`,
        description: `Get a ${words} by id.`,
        params: { [`${e}_id`]: id(e) },
        output: record(e),
      },
      {
        name: `list_${e}s`,
        description: `List the ${words}s.`,
        params: parent,
        output: {
          type: 'object',
          properties: {
            [`${e}_ids`]: { type: 'array', items: id(e), description: `Identifiers of the ${words}s.` },
          },
        },
      },
      {
        name: `update_${e}_status`,
        description: `Change the status of a ${words}.`,
        params: { [`${e}_id`]: id(e), new_status: { type: 'string', description: 'The new status.' } },
        output: record(e),
      },
      {
        name: `delete_${e}`,
        description: `Delete a ${words}.`,
        params: { [`${e}_id`]: id(e) },
        output: {
          type: 'object',
          properties: { deleted: { type: 'boolean', description: 'Whether it was deleted.' } },
        },
      },
      {
        name: `export_${e}_history_csv`,
        description: `Export the change history of a ${words} as CSV.`,
        params: { [`${e}_id`]: id(e) },
        output: { type: 'object', properties: { csv: { type: 'string', description: 'The CSV text.' } } },
      },
    ];
  };
  const perService = Math.ceil(count / Object.keys(SERVICES).length);
  const pool: FunctionDef[] = [];
  for (const [service, entities] of Object.entries(SERVICES)) {
    const items = entities
      .flatMap((e) => calls(e.entity, e.needs))
      .slice(0, Math.min(perService, count - pool.length))
      .map((c) => ({
        type: 'function',
        function: {
          name: c.name,
          description: c.description,
          parameters: { type: 'object', properties: c.params, required: Object.keys(c.params) },
          output: c.output,
        },
      }));
    pool.push(...parsePoolText(JSON.stringify(items), `${service}.json`, service));
  }
  return pool;
}
