import path from 'node:path';
import { indexPool, type FunctionDef, type JsonSchemaT } from '../../src/core/pool';
import { inlineLocalRefs } from '../../src/core/schema-refs';
import { userValue } from '../../src/core/values';
import { argumentProblem, checkOutput } from '../../src/tools/execute';
import { loadPool } from '../../src/tools/pool-loader';
import { simulateOutput } from '../../src/tools/simulate';
import { validatorFor } from '../../src/tools/validators';

/**
 * A parameter that is a `$ref` into the schema's own `$defs` (2020-12) or `definitions` (draft-07) is drawn,
 * simulated and validated as what it points at: the pool loader inlines local `$ref`s. Real pool files:
 * test/fixtures/schemas/defs-2020.json and defs-draft7.json.
 */
const FIXTURES = path.join(__dirname, '..', 'fixtures', 'schemas');
const SEEDS = Array.from({ length: 25 }, (_, i) => i + 1);

/** The arguments the offline backend states for `def` under `seed`: every parameter drawn by userValue. */
function offlineArgs(def: FunctionDef, seed: number): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(def.parameters.properties).map(([p, s]) => [p, userValue(seed, p, s)]),
  );
}

describe("a $ref into the schema's own $defs (2020-12) or definitions (draft-07)", () => {
  let fns: Map<string, FunctionDef>;
  beforeAll(async () => {
    fns = indexPool(
      await loadPool([path.join(FIXTURES, 'defs-2020.json'), path.join(FIXTURES, 'defs-draft7.json')]),
    );
  });

  it('is inlined at load: each parameter is readable on its own, a recursive one keeps its $ref and $defs', () => {
    const ship = fns.get('ship_parcel') as FunctionDef;
    const to = ship.parameters.properties.to as JsonSchemaT;
    // the sibling description wins over the target's, the nested Country $ref is inlined too
    expect(to).toMatchObject({
      type: 'object',
      description: 'Where the parcel goes',
      required: ['street', 'city', 'postal_code', 'country'],
      properties: { country: { type: 'string', enum: ['DE', 'FR', 'NL'] } },
    });
    expect(JSON.stringify(to)).not.toContain('$ref');
    // Category.parent is Category again: expanded once, then left a $ref the kept $defs resolve, in the
    // whole schema and in the parameter read on its own
    expect(ship.parameters.properties.category).toMatchObject({
      type: 'object',
      properties: { label: { type: 'string' }, parent: { $ref: '#/$defs/Category' } },
      $defs: { Category: { required: ['label'] } },
    });
    expect(ship.parameters.$defs).toBeDefined();
    expect(ship.parameters.properties.to?.$defs).toBeUndefined();
    // no $ref left: the definitions go
    const invoice = fns.get('create_invoice') as FunctionDef;
    expect(JSON.stringify(invoice.parameters)).not.toContain('$ref');
    expect(invoice.parameters.definitions).toBeUndefined();
    expect(invoice.parameters.properties.lines).toMatchObject({ items: { required: ['sku', 'quantity'] } });
    expect(ship.output).toMatchObject({ properties: { tracking: { required: ['tracking_id', 'eta'] } } });
  });

  it('offline arguments are objects of the right shape that validate, also one argument on its own', () => {
    for (const def of fns.values())
      for (const seed of SEEDS) {
        const args = offlineArgs(def, seed);
        expect([def.name, seed, argumentProblem(def, args)]).toEqual([def.name, seed, undefined]);
        for (const [p, schema] of Object.entries(def.parameters.properties))
          expect([def.name, p, validatorFor(schema)(args[p])]).toEqual([def.name, p, true]);
        expect(checkOutput(def, simulateOutput(def, args, seed))).toBeUndefined();
      }
    const to = offlineArgs(fns.get('ship_parcel') as FunctionDef, 7).to as Record<string, unknown>;
    expect(Object.keys(to).sort()).toEqual(['city', 'country', 'postal_code', 'street']);
    expect(to.postal_code).toMatch(/^[0-9]{5}$/);
    const lines = offlineArgs(fns.get('create_invoice') as FunctionDef, 7).lines as Record<string, unknown>[];
    for (const l of lines) expect(l.sku).toMatch(/^SKU-[0-9]{4}$/);
  });

  it('inlineLocalRefs: pointers with escapes, data never resolved, missing targets kept, a schema without $ref as it is', () => {
    const plain = { type: 'object', properties: { a: { type: 'string' } } };
    expect(inlineLocalRefs(plain)).toBe(plain);
    const schema: JsonSchemaT = {
      type: 'object',
      properties: {
        slash: { $ref: '#/$defs/a~1b' },
        space: { $ref: '#/$defs/with%20space' },
        gone: { $ref: '#/$defs/Nope' },
        data: { type: 'object', default: { $ref: '#/$defs/a~1b' } },
        // a property may be called like a keyword
        default: { $ref: '#/$defs/a~1b' },
      },
      $defs: { 'a/b': { type: 'integer' }, 'with space': { type: 'boolean' } },
    };
    const out = inlineLocalRefs(schema);
    expect(out.properties).toEqual({
      slash: { type: 'integer' },
      space: { type: 'boolean' },
      // left as it is, with the definitions beside it (what a property with a $ref left gets)
      gone: { $ref: '#/$defs/Nope', $defs: schema.$defs },
      data: { type: 'object', default: { $ref: '#/$defs/a~1b' } },
      default: { type: 'integer' },
    });
    // a $ref left unresolved keeps the definitions
    expect(out.$defs).toEqual(schema.$defs);
    // the input is not changed
    expect((schema.properties?.slash as JsonSchemaT).$ref).toBe('#/$defs/a~1b');
  });
});
