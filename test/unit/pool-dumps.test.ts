import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { PoolError, type FunctionDef, type JsonSchemaT } from '../../src/core/pool';
import { coerceValue, renderValue, userValue } from '../../src/core/values';
import { loadPool } from '../../src/tools/pool-loader';
import { validatorFor } from '../../src/tools/validators';
import { FILESYSTEM_SERVER, MEMORY_SERVER, NOTES_SERVER } from '../helpers/mcp';

/**
 * Tool files as users have them: the output of an MCP server's tools/list (dumped from the real npm servers the
 * tests use, as the result or as the whole JSON-RPC response), and schemas that are not JSON Schemas.
 */
const dir = mkdtempSync(path.join(os.tmpdir(), 'magnet-pool-dumps-'));

async function toolsList(script: string, args: string[] = []): Promise<{ tools: { name: string }[] }> {
  const client = new Client({ name: 'magnet-test', version: '1' });
  await client.connect(
    new StdioClientTransport({ command: process.execPath, args: [script, ...args], stderr: 'ignore' }),
  );
  try {
    return (await client.listTools()) as { tools: { name: string }[] };
  } finally {
    await client.close();
  }
}

function file(name: string, value: unknown): string {
  const p = path.join(dir, name);
  writeFileSync(p, JSON.stringify(value, null, 1));
  return p;
}

test.each([
  ['filesystem', FILESYSTEM_SERVER, [dir]],
  ['memory', MEMORY_SERVER, []],
  ['notes', NOTES_SERVER, []],
])(
  'a tools/list dump of the %s server loads, as the result and as the JSON-RPC response',
  async (name, script, args) => {
    const listed = await toolsList(script, args);
    expect(listed.tools.length).toBeGreaterThan(0);
    for (const [label, value] of [
      ['result', listed],
      ['response', { jsonrpc: '2.0', id: 1, result: listed }],
    ] as const) {
      const pool = await loadPool([file(`${name}-${label}.json`, value)]);
      expect(pool.functions.map((f) => f.name).sort()).toEqual(listed.tools.map((t) => t.name).sort());
      for (const f of pool.functions) expect(f.parameters.type).toBe('object');
    }
  },
);

test('the parameters of an MCP tool come from its inputSchema, its output schema from outputSchema', async () => {
  const pool = await loadPool([
    file('one.json', {
      tools: [
        {
          name: 'read_note',
          title: 'Read a note',
          description: 'Reads a note by id',
          inputSchema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
          outputSchema: { type: 'object', properties: { text: { type: 'string' } } },
          annotations: { readOnlyHint: true },
        },
      ],
    }),
  ]);
  const [f] = pool.functions;
  expect(f?.parameters.required).toEqual(['id']);
  expect(f?.output?.properties?.text?.type).toBe('string');
});

test('a schema that is not a JSON Schema is rejected naming file, item and the path in the schema', async () => {
  const bad = file('bad.json', [
    {
      name: 'f',
      description: 'd',
      parameters: { type: 'object', properties: { city: { type: 'strnig' } } },
    },
  ]);
  const err = await loadPool([bad]).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(PoolError);
  console.log((err as Error).message);
  expect((err as Error).message).toMatch(
    /bad\.json item 0 field parameters: not a JSON Schema: properties\.city\.type: .*"strnig"/,
  );
});

test('draft 2020-12 schemas ($defs, prefixItems) load', async () => {
  const pool = await loadPool([
    file('modern.json', [
      {
        name: 'place',
        description: 'a point',
        parameters: {
          $schema: 'https://json-schema.org/draft/2020-12/schema',
          type: 'object',
          $defs: { coord: { type: 'number' } },
          properties: {
            at: { type: 'array', prefixItems: [{ $ref: '#/$defs/coord' }, { $ref: '#/$defs/coord' }] },
          },
          required: ['at'],
        },
      },
    ]),
  ]);
  expect(pool.functions[0]?.name).toBe('place');
});

test('an OpenAPI document given as a pool file says how to use it', async () => {
  const doc = file('service.json', { openapi: '3.0.3', info: { title: 't', version: '1' }, paths: {} });
  await expect(loadPool([doc])).rejects.toThrow(/an OpenAPI document, not a list of functions: .*"openapi"/);
});

test('a 2020-12 schema is also validated at run time (prefixItems checked)', () => {
  const validate = validatorFor({
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    properties: { at: { type: 'array', prefixItems: [{ type: 'number' }, { type: 'number' }] } },
  });
  expect(validate({ at: [1, 2] })).toBe(true);
  expect(validate({ at: ['x', 2] })).toBe(false);
});

test('tuple items (draft-07 items: [...]) load, and values made for them follow each position', async () => {
  const pool = await loadPool([
    file('tuple.json', [
      {
        name: 'set_range',
        description: 'sets a range',
        parameters: {
          type: 'object',
          properties: {
            range: { type: 'array', items: [{ type: 'integer' }, { type: 'string', enum: ['a', 'b'] }] },
          },
          required: ['range'],
        },
      },
    ]),
  ]);
  const params = pool.functions[0]?.parameters as FunctionDef['parameters'];
  const validate = validatorFor(params);
  for (let seed = 1; seed <= 20; seed++) {
    const value = userValue(seed, 'range', params.properties.range as JsonSchemaT);
    expect(value).toHaveLength(2);
    expect(validate({ range: value })).toBe(true);
    // written into a query and read back, the value keeps each position's type
    expect(coerceValue(renderValue(value), params.properties.range as JsonSchemaT)).toEqual(value);
  }
});
