import type { FunctionDef, ToolSource } from '../../src/core/pool';
import { observable } from '../../src/tools/observe';

const fn = (
  name: string,
  impl: FunctionDef['impl'],
  required: string[] = [],
  readOnly?: boolean,
): FunctionDef =>
  ({
    name,
    description: name,
    parameters: { type: 'object', properties: {}, required },
    category: 'c',
    source: { file: 'f', item: name },
    impl,
    ...(readOnly !== undefined ? { annotations: { readOnlyHint: readOnly } } : {}),
  }) as FunctionDef;

const mcp = (tool: string): FunctionDef['impl'] => ({ kind: 'mcp', server: 'bank', tool });
const http = (method: 'get' | 'post', path: string): FunctionDef['impl'] =>
  ({ kind: 'http', source: 'items', method, path, params: {} }) as FunctionDef['impl'];

const defs = [
  fn('list_users', mcp('list_users'), [], true),
  fn('get_balance', mcp('get_balance'), ['account_id'], true),
  fn('transfer', mcp('transfer'), [], false),
  fn('stats', mcp('stats')),
  fn('listItems', http('get', '/items')),
  fn('getItem', http('get', '/items/{itemId}'), ['itemId']),
  fn('createItem', http('post', '/items')),
  fn('other_tool', mcp('other')),
];
const pool = new Map(defs.map((d) => [d.name, d]));
const names = (xs: { def: FunctionDef }[]): string[] => xs.map((x) => x.def.name);

describe('observable: what a turn may look at before it is written', () => {
  it('by default, read-only MCP tools and GET operations that need no input, of the turn’s sources only', () => {
    expect(names(observable([pool.get('transfer') as FunctionDef], pool, []))).toEqual(['list_users']);
    expect(names(observable([pool.get('createItem') as FunctionDef], pool, []))).toEqual(['listItems']);
    expect(observable([], pool, [])).toEqual([]);
  });

  it('a source’s observe list replaces the default, with the arguments it gives', () => {
    const sources = [
      {
        kind: 'mcp',
        name: 'bank',
        observe: ['stats', { tool: 'get_balance', arguments: { account_id: 'A-1' } }],
      },
    ] as ToolSource[];
    expect(observable([pool.get('transfer') as FunctionDef], pool, sources)).toEqual([
      { def: pool.get('stats'), arguments: {} },
      { def: pool.get('get_balance'), arguments: { account_id: 'A-1' } },
    ]);
  });
});
