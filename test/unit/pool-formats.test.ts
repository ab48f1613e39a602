import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Pool, PoolError, StoredPool } from '../../src/core/pool';
import { loadPool } from '../../src/tools/pool-loader';

// Every format and every error read from real files, through the loader a run uses.
const dir = mkdtempSync(path.join(os.tmpdir(), 'magnet-pool-formats-'));

function file(name: string, text: string): string {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
}

const fn = (name: string): Record<string, unknown> => ({
  name,
  description: `does ${name}`,
  parameters: { type: 'object', properties: { x: { type: 'string' } }, required: ['x'] },
  output: { type: 'object', properties: { id: { type: 'string' } } },
});
const tool = (name: string): object => ({ type: 'function', function: fn(name) });

async function names(f: string): Promise<[string, string, string][]> {
  return (await loadPool([f])).functions.map((d) => [d.name, d.category, d.source.item]);
}

describe('pool file formats (told by content)', () => {
  it('reads one pretty-printed OpenAI tool, also in a .jsonl file', async () => {
    expect(await names(file('one.json', JSON.stringify(tool('alpha'), null, 2)))).toEqual([
      ['alpha', 'one', 'item 0'],
    ]);
    expect(await names(file('pretty.jsonl', JSON.stringify(tool('beta'), null, 2)))).toEqual([
      ['beta', 'pretty', 'item 0'],
    ]);
  });

  it('reads a pretty-printed list, and a {"tools": [...]} object', async () => {
    expect(await names(file('list.json', JSON.stringify([tool('a'), fn('b')], null, 2)))).toEqual([
      ['a', 'list', 'item 0'],
      ['b', 'list', 'item 1'],
    ]);
    expect(
      await names(file('wrapped.json', JSON.stringify({ tools: [fn('c'), tool('d')] }, null, 4))),
    ).toEqual([
      ['c', 'wrapped', 'tools[0]'],
      ['d', 'wrapped', 'tools[1]'],
    ]);
  });

  it('reads JSON lines', async () => {
    const text = `${JSON.stringify(fn('l1'))}\n\n${JSON.stringify(tool('l2'))}\n`;
    expect(await names(file('lines.ndjson', text))).toEqual([
      ['l1', 'lines', 'line 1'],
      ['l2', 'lines', 'line 3'],
    ]);
  });

  it('reads YAML (.yaml, .yml, and YAML content under another extension); folders list YAML files', async () => {
    const yaml = [
      'tools:',
      '  - type: function',
      '    function:',
      '      name: find_order',
      '      description: Find an order by customer.',
      '      parameters:',
      '        type: object',
      '        properties:',
      '          customer: {type: string}',
      '        required: [customer]',
      '      output:',
      '        type: object',
      '        properties:',
      '          order_id: {type: string}',
      '',
    ].join('\n');
    const sub = mkdtempSync(path.join(dir, 'yamls-'));
    writeFileSync(path.join(sub, 'shop.yaml'), yaml);
    writeFileSync(
      path.join(sub, 'more.yml'),
      `- ${JSON.stringify(fn('y1'))}\n- name: y2\n  description: d\n  parameters: {type: object}\n`,
    );
    const pool = await loadPool([sub]);
    expect(pool.functions.map((d) => [d.name, d.category, d.source.item])).toEqual([
      ['find_order', 'shop', 'tools[0]'],
      ['y1', 'more', 'item 0'],
      ['y2', 'more', 'item 1'],
    ]);
    expect(pool.functions[0]?.parameters.required).toEqual(['customer']);
    expect(pool.functions[0]?.output?.properties?.order_id?.type).toBe('string');
    expect(await names(file('yaml-inside.json', yaml.replace('find_order', 'find_it')))).toEqual([
      ['find_it', 'yaml-inside', 'tools[0]'],
    ]);
  });

  it('a broken pretty-printed JSON file names each format tried and where it failed', async () => {
    const broken = JSON.stringify([tool('a')], null, 2).replace('"description"', '"description" "oops"');
    const f = file('broken.json', broken);
    const err = await loadPool([f]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PoolError);
    expect((err as Error).message).toMatch(
      new RegExp(
        `^${f.replace(/[.]/g, '\\.')}: cannot read it as JSON \\(line 6 column 21: Unexpected string\\), ` +
          `as JSON lines \\(line 1 column 2: Unexpected end of JSON input\\) or as YAML \\(line \\d+ column \\d+: [^)]*\\)$`,
      ),
    );
  });

  it('a broken .yaml file reports YAML first; plain text is not a pool', async () => {
    const f = file('bad.yaml', 'tools:\n  - name: a\n   description: [unclosed\n');
    await expect(loadPool([f])).rejects.toThrow(
      /bad\.yaml: cannot read it as YAML \(line \d+ column \d+: [^)]+\), as JSON \(Unexpected token 'o'\) or as JSON lines \(line 1: Unexpected token 'o'\)$/,
    );
    await expect(loadPool([file('text.json', 'just some words')])).rejects.toThrow(
      /text\.json: cannot read it as JSON \(Unexpected token 'j'\) or as YAML \(the document is a string, not a list or a mapping\)$/,
    );
  });
});

describe('function names providers accept', () => {
  it.each([
    ['a dot', 'weather.get', 'weather_get'],
    ['a space', 'get weather', 'get_weather'],
    ['65 characters', 'f'.repeat(65), 'f'.repeat(64)],
  ])('makes safe %s, keeping the original (test/unit/pool-names.test.ts)', async (_what, name, safe) => {
    const f = file('names.json', JSON.stringify([tool('fine'), tool(name)]));
    const renamed = (await loadPool([f])).functions.find((d) => d.name === safe);
    expect(renamed?.originalName).toBe(name);
  });

  it('rejects an empty name, naming file, item and field', async () => {
    const f = file('names.json', JSON.stringify([tool('fine'), tool('')]));
    await expect(loadPool([f])).rejects.toThrow(
      `${f} item 1 field name: must be 1 to 64 letters, digits, _ or - (what model providers accept in tool names)`,
    );
  });

  it('accepts 64 characters, digits first, _ and -', async () => {
    const ok = ['g'.repeat(64), '1st-tool', '_private'];
    const f = file('ok-names.json', JSON.stringify(ok.map(tool)));
    expect((await loadPool([f])).functions.map((d) => d.name).sort()).toEqual([...ok].sort());
  });

  it('a pool stored by an earlier release (dotted names) still reads as a stored pool', () => {
    const stored = {
      functions: [
        {
          name: 'w.get',
          description: 'Get weather',
          parameters: { type: 'object', properties: {}, required: [] },
          category: 'weather',
          source: { file: 'weather.jsonl', item: 'line 1' },
        },
      ],
    };
    expect(StoredPool.parse(stored).functions[0]?.name).toBe('w.get');
    expect(Pool.safeParse(stored).success).toBe(false);
  });
});
