import type { ExecutedCall } from '../../src/core/conversation';
import type { FunctionDef, JsonSchemaT } from '../../src/core/pool';
import type { TurnContext } from '../../src/roles/context';
import { planSources } from '../../src/roles/offline/common';
import { offlineForthTranslate } from '../../src/roles/offline/forth_translate';

/** Where the offline backend takes a value from: earlier outputs and calls of the turn, into arrays too. */

function fn(name: string, params: Record<string, JsonSchemaT>, output?: JsonSchemaT): FunctionDef {
  return {
    name,
    description: `${name}.`,
    parameters: { type: 'object', properties: params, required: Object.keys(params) },
    ...(output ? { output } : {}),
    category: 'svc',
    source: { file: 'test', item: name },
  };
}

const item = { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' } } };
const listItems = fn(
  'list_items',
  {},
  { type: 'object', properties: { items: { type: 'array', items: item } } },
);
const getItem = fn('get_item', { id: { type: 'string', pattern: '^[a-z][0-9]$' } });

const earlier = (output: unknown): ExecutedCall => ({
  id: 'call_1_1',
  name: 'list_items',
  arguments: {},
  sources: {},
  after: [],
  output,
  executor: 'simulated',
});

function context(defs: FunctionDef[], history: ExecutedCall[]): TurnContext {
  return {
    seed: 1,
    turnIndex: 1,
    turn: { functions: defs.map((d) => ({ name: d.name, via: 'walk' as const })), labels: ['walk'] },
    defs,
    history,
    previousQueries: ['List the items.'],
  };
}

describe('offline value sources follow outputs into arrays', () => {
  it("an earlier turn's list feeds a later call with its first element's value", () => {
    const history = [earlier({ items: [{ id: 'a1' }, { id: 'b2' }] })];
    const [sources] = planSources([getItem], history);
    expect(sources?.get('id')).toEqual({ kind: 'earlier', call: history[0], field: 'items[0].id' });
    const [call] = offlineForthTranslate(context([getItem], history), 'Get that item.');
    expect(call?.arguments).toEqual({ id: 'a1' });
    expect(call?.sources).toEqual({ id: { kind: 'call', call: 'call_1_1', field: 'items[0].id' } });
  });

  it("takes the first element whose value fits the parameter's schema, and a top-level field first", () => {
    const history = [earlier({ items: [{ id: 'not an id' }, { name: 'x' }, { id: 'c3' }] })];
    expect(planSources([getItem], history)[0]?.get('id')).toMatchObject({ field: 'items[2].id' });
    expect(offlineForthTranslate(context([getItem], history), 'Get it.')[0]?.arguments).toEqual({ id: 'c3' });
    const top = [earlier({ items: [{ id: 'a1' }], id: 'z9' })];
    expect(planSources([getItem], top)[0]?.get('id')).toMatchObject({ field: 'id' });
    // an array output, and an object's field
    expect(planSources([getItem], [earlier([{ id: 'd4' }])])[0]?.get('id')).toMatchObject({
      field: '[0].id',
    });
    expect(planSources([getItem], [earlier({ item: { id: 'e5' } })])[0]?.get('id')).toMatchObject({
      field: 'item.id',
    });
    // nothing fits: the user says it
    expect(planSources([getItem], [earlier({ items: [{ id: 'nope' }] })])[0]?.get('id')).toEqual({
      kind: 'user',
    });
  });

  it('a call of the same turn feeds a field of its array elements by reference', () => {
    const [, sources] = planSources([listItems, getItem], []);
    expect(sources?.get('id')).toEqual({ kind: 'same_turn', index: 0, field: 'items[].id' });
    const calls = offlineForthTranslate(context([listItems, getItem], []), 'List the items and get one.');
    expect(calls[1]?.refs).toEqual({ id: { call: 'call_2_1', field: 'items[].id' } });
    expect(calls[1]?.sources).toEqual({ id: { kind: 'call', call: 'call_2_1', field: 'items[].id' } });
  });
});
