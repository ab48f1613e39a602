import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parsePoolText, PoolError } from '../../src/core/pool';
import { loadPool } from '../../src/tools/pool-loader';
import { parseConfig } from '../../src/io/config-file';

function tmp(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'magnet-pool-'));
}

const tool = (name: string, extra: object = {}): object => ({
  type: 'function',
  function: {
    name,
    description: `does ${name}`,
    parameters: { type: 'object', properties: { x: { type: 'string' } }, required: ['x'] },
    ...extra,
  },
});

describe('pool loading', () => {
  it('reads OpenAI tool lists with output schemas; category defaults to the file name', async () => {
    const dir = tmp();
    writeFileSync(
      path.join(dir, 'shop.json'),
      JSON.stringify([
        tool('a', { output: { type: 'object', properties: { id: { type: 'string' } } } }),
        tool('b'),
      ]),
    );
    const pool = await loadPool([dir]);
    expect(pool.functions.map((f) => [f.name, f.category])).toEqual([
      ['a', 'shop'],
      ['b', 'shop'],
    ]);
    expect(pool.functions[0]?.output?.properties?.id?.type).toBe('string');
    expect(pool.functions[0]?.source).toEqual({ file: path.join(dir, 'shop.json'), item: 'item 0' });
  });

  it('reads BFCL function docs (JSON lines, "dict" types, response schemas)', () => {
    const text = [
      JSON.stringify({
        name: 'w_get',
        description: 'Get weather',
        parameters: {
          type: 'dict',
          properties: { city: { type: 'string' }, days: { type: 'float' } },
          required: ['city'],
        },
        response: { type: 'dict', properties: { temp: { type: 'float' } } },
      }),
      '',
      JSON.stringify({
        name: 'w_alert',
        description: 'Alert',
        parameters: { type: 'dict', properties: {}, required: [] },
      }),
    ].join('\n');
    const fns = parsePoolText(text, 'weather.jsonl', 'weather');
    expect(fns).toHaveLength(2);
    expect(fns[0]?.parameters.type).toBe('object');
    expect(fns[0]?.parameters.properties.days?.type).toBe('number');
    expect(fns[0]?.output?.properties?.temp?.type).toBe('number');
    expect(fns[1]?.source.item).toBe('line 3');
  });

  it.each([
    [
      'bad JSON',
      '[{"type":',
      /bad\.json: cannot read it as JSON \(line 1 column 10: Unexpected end of JSON input\) or as YAML \(line 1 column 10: /,
    ],
    [
      'missing description',
      JSON.stringify([
        { type: 'function', function: { name: 'f', parameters: { type: 'object', properties: {} } } },
      ]),
      /bad\.json item 0 field description:/,
    ],
    [
      'required not in properties',
      JSON.stringify([tool('f', { parameters: { type: 'object', properties: {}, required: ['q'] } })]),
      /bad\.json item 0 field parameters\.required: required parameter "q"/,
    ],
    [
      'a nested required name that is not a property',
      JSON.stringify([
        tool('f', {
          parameters: {
            type: 'object',
            properties: {
              rows: {
                type: 'array',
                items: { type: 'object', properties: { sku: { type: 'string' } }, required: ['skuu'] },
              },
            },
          },
        }),
      ]),
      /bad\.json item 0 field parameters\.properties\.rows\.items\.required: required property "skuu" is not in properties/,
    ],
    // a name providers refuse is made safe (test/unit/pool-names.test.ts); an empty one is no name at all
    ['bad name', JSON.stringify([tool('')]), /bad\.json item 0 field name:/],
    [
      'bad JSON line',
      `${JSON.stringify({ name: 'a', description: 'x', parameters: { type: 'dict', properties: {} } })}\n{oops`,
      /bad\.json: cannot read it as JSON \(line 2 column 1: .*\), as JSON lines \(line 2 column 2: Expected property name or '}'\) or as YAML \(line 2 column 1: /,
    ],
    ['not an object', '[1]', /bad\.json item 0: expected an object/],
  ])('rejects %s naming file, item and field', async (_what, text, message) => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'bad.json'), text);
    await expect(loadPool([path.join(dir, 'bad.json')])).rejects.toThrow(message);
    await expect(loadPool([path.join(dir, 'bad.json')])).rejects.toBeInstanceOf(PoolError);
  });

  it('names both files for a duplicate function', async () => {
    const dir = tmp();
    mkdirSync(path.join(dir, 'sub'));
    writeFileSync(path.join(dir, 'one.json'), JSON.stringify([tool('same')]));
    writeFileSync(path.join(dir, 'sub', 'two.json'), JSON.stringify([tool('other'), tool('same')]));
    await expect(loadPool([dir])).rejects.toThrow(
      `duplicate function name "same": defined in ${path.join(dir, 'one.json')} item 0 and in ${path.join(dir, 'sub', 'two.json')} item 1`,
    );
  });

  it('reports a missing path', async () => {
    await expect(loadPool(['/nonexistent/pool'])).rejects.toThrow(
      '/nonexistent/pool: pool file or folder not found',
    );
  });
});

describe('run config', () => {
  it('rejects unknown keys, negative counts and bad probabilities with the field named', () => {
    expect(() => parseConfig({ pool: 'p', conversations: 5, convrsations: 3 }, 'c.json')).toThrow(
      "c.json field convrsations: unknown key; did you mean 'conversations'?",
    );
    expect(() => parseConfig({ pool: 'p', conversations: -2 }, 'c.json')).toThrow(
      /c\.json field conversations: /,
    );
    expect(() => parseConfig({ pool: 'p', conversations: 2, ops: { mergeProb: 1.5 } }, 'c.json')).toThrow(
      /c\.json field ops\.mergeProb: /,
    );
    expect(() =>
      parseConfig({ pool: 'p', conversations: 2, ops: { mergeProbability: 0.5 } }, 'c.json'),
    ).toThrow("c.json field ops.mergeProbability: unknown key; did you mean 'mergeProb'?");
  });

  it('fills defaults from the paper', () => {
    const c = parseConfig({ pool: 'p', conversations: 2 }, 'c.json');
    expect(c.ops.walkLength).toBe(7);
    expect(c.ops.mergeProb).toBe(0.3);
    expect(c.graphBuild.maxCandidates).toBe(30);
    expect(c.llm.default.provider).toBe('offline');
  });
});
