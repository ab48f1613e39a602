import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Ajv from 'ajv';
import { validatePath } from '../../src/cli/validate';
import { indexPool, type FunctionDef, type Pool } from '../../src/core/pool';
import { userValue } from '../../src/core/values';
import { argumentProblem, checkOutput } from '../../src/tools/execute';
import { loadPool } from '../../src/tools/pool-loader';
import { simulateOutput } from '../../src/tools/simulate';

/**
 * Formats are checked (ajv-formats) without a word on stderr, offline values and simulated outputs fit them,
 * `magnet validate` names a format violation by line. A real pool file: test/fixtures/schemas/formats.json.
 */
const FIXTURES = path.join(__dirname, '..', 'fixtures', 'schemas');
const SEEDS = Array.from({ length: 25 }, (_, i) => i + 1);

/** What reaches stderr or console.warn/error while `fn` runs. */
async function stderrOf(fn: () => Promise<void>): Promise<string> {
  const seen: string[] = [];
  const write = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
    seen.push(String(chunk));
    return true;
  });
  const spies = (['warn', 'error', 'log'] as const).map((level) =>
    jest.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      seen.push(args.map(String).join(' '));
    }),
  );
  try {
    await fn();
  } finally {
    write.mockRestore();
    for (const s of spies) s.mockRestore();
  }
  return seen.join('\n');
}

/** The arguments the offline backend states for `def` under `seed`: every parameter drawn by userValue. */
function offlineArgs(def: FunctionDef, seed: number): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(def.parameters.properties).map(([p, s]) => [p, userValue(seed, p, s)]),
  );
}

describe('formats are validated, quietly', () => {
  it('the spy sees what Ajv prints for a format it does not know (without ajv-formats)', async () => {
    const text = await stderrOf(async () => {
      new Ajv({ strict: false }).compile({ type: 'string', format: 'uuid' });
    });
    expect(text).toMatch(/unknown format "uuid" ignored/);
  });

  let pool: Pool;
  let fns: Map<string, FunctionDef>;
  let stderr: string;
  beforeAll(async () => {
    stderr = await stderrOf(async () => {
      pool = await loadPool([path.join(FIXTURES, 'formats.json')]);
      fns = indexPool(pool);
      // validating arguments and outputs compiles every schema, the unknown "phone" format included
      for (const def of pool.functions)
        for (const seed of SEEDS) {
          const args = offlineArgs(def, seed);
          argumentProblem(def, args);
          checkOutput(def, simulateOutput(def, args, seed));
        }
    });
  });

  it('loads a pool with formats, one of them unknown, and prints nothing about them', () => {
    expect(pool.functions.map((f) => f.name).sort()).toEqual(['allow_address', 'book_meeting', 'get_user']);
    expect(stderr).not.toMatch(/unknown format/i);
    expect(stderr).toBe('');
  });

  it('offline arguments and simulated outputs satisfy every format', () => {
    for (const def of pool.functions)
      for (const seed of SEEDS) {
        const args = offlineArgs(def, seed);
        expect([def.name, seed, argumentProblem(def, args)]).toEqual([def.name, seed, undefined]);
        const out = simulateOutput(def, args, seed);
        expect([def.name, seed, checkOutput(def, out)]).toEqual([def.name, seed, undefined]);
      }
  });

  it('an argument that breaks its format is an invalid call; an unknown format accepts any string', () => {
    const get = fns.get('get_user') as FunctionDef;
    expect(argumentProblem(get, { user_id: 'user_42' })).toBe('argument user_id must match format "uuid"');
    const book = fns.get('book_meeting') as FunctionDef;
    const good = offlineArgs(book, 3);
    expect(argumentProblem(book, good)).toBeUndefined();
    expect(argumentProblem(book, { ...good, day: '2026-02-30' })).toMatch(/day must match format "date"/);
    expect(argumentProblem(book, { ...good, start: '25:00:00Z' })).toMatch(/start must match format "time"/);
    expect(argumentProblem(book, { ...good, attendee: 'bob at example' })).toMatch(/format "email"/);
    expect(argumentProblem(book, { ...good, phone: 'call me maybe' })).toBeUndefined();
    const allow = fns.get('allow_address') as FunctionDef;
    expect(argumentProblem(allow, { ...offlineArgs(allow, 1), ipv4: '999.1.1.1' })).toMatch(/format "ipv4"/);
  });

  it('magnet validate reports a format violation by line, quietly', async () => {
    const get = fns.get('get_user') as FunctionDef;
    const tools = [
      {
        type: 'function',
        function: { name: get.name, description: get.description, parameters: get.parameters },
      },
    ];
    const row = (userId: string): string =>
      JSON.stringify({
        messages: [
          { role: 'user', content: 'Who is that user?' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                id: 'c1',
                type: 'function',
                function: { name: 'get_user', arguments: JSON.stringify({ user_id: userId }) },
              },
            ],
          },
          { role: 'tool', tool_call_id: 'c1', content: '{"email": "bob@example.com"}' },
          { role: 'assistant', content: 'That is Bob.' },
        ],
        tools,
        parallel_tool_calls: true,
      });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'magnet-formats-'));
    const file = path.join(dir, 'sft.jsonl');
    const uuid = userValue(1, 'user_id', { type: 'string', format: 'uuid' }) as string;
    writeFileSync(file, [row(uuid), row('user_42'), row(uuid)].join('\n') + '\n');
    let reports: Awaited<ReturnType<typeof validatePath>> = [];
    const text = await stderrOf(async () => {
      reports = await validatePath(file, 'openai');
    });
    expect(text).not.toMatch(/unknown format/i);
    expect(reports).toHaveLength(1);
    expect(reports[0]?.problems).toEqual([
      {
        line: 2,
        message: expect.stringMatching(
          /^messages\[1\]\.tool_calls\[0\]: arguments of get_user do not match its schema: argument user_id must match format "uuid"$/,
        ),
      },
    ]);
  });
});
