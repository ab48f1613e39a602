import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RunConfig } from '../../src/core/config';
import { didYouMean, keysAt } from '../../src/core/issues';
import { loadConfig } from '../../src/io/config-file';

const dir = mkdtempSync(path.join(os.tmpdir(), 'magnet-config-issues-'));

/** The one-line error loadConfig throws for a config file of `text`. */
async function errorOf(text: string): Promise<string> {
  const file = path.join(dir, 'run.json');
  writeFileSync(file, text);
  return loadConfig(file).then(
    () => 'no error',
    (e: Error) => e.message,
  );
}

describe('config errors a person fixes in one go (issue 23 item 4)', () => {
  it('a typo in a required key: the unknown key first with its likely meaning, then the missing one', async () => {
    const msg = await errorOf(JSON.stringify({ conversation: 5, pool: ['p'] }));
    expect(msg).toBe(
      `${dir}/run.json: 2 problems: field conversation: unknown key; did you mean 'conversations'?; ` +
        'field conversations: missing (expected number)',
    );
  });

  it('nested keys get their own suggestions, every problem listed', async () => {
    const msg = await errorOf(
      JSON.stringify({
        conversations: 3,
        pool: ['p'],
        ops: { walkLenght: 3 },
        llm: { rolez: {} },
        seed: 'x',
      }),
    );
    expect(msg).toContain("field ops.walkLenght: unknown key; did you mean 'walkLength'?");
    expect(msg).toContain("field llm.rolez: unknown key; did you mean 'roles'?");
    expect(msg).toMatch(/field seed: .*expected number/);
    expect(msg).toMatch(/: 3 problems: /);
    expect(msg).not.toContain('more)');
    expect(msg.split('\n')).toHaveLength(1);
    // unknown keys come before the other problems
    expect(msg.indexOf('walkLenght')).toBeLessThan(msg.indexOf('field seed'));
  });

  it('a key far from every known one lists the known keys instead of guessing', async () => {
    const msg = await errorOf(JSON.stringify({ conversations: 3, pool: ['p'], ops: { zzzzzzzz: 1 } }));
    expect(msg).toMatch(/field ops\.zzzzzzzz: unknown key \(known: .*walkLength.*\)$/);
  });

  it('a JSON syntax error says line, column and the line', async () => {
    const msg = await errorOf('{\n  "conversations": 3,\n  "pool": ["p"]\n  "seed": 1\n}\n');
    expect(msg).toMatch(/run\.json: invalid JSON: line 4 column 3: .*: "seed": 1$/);
    const end = await errorOf(`{\n  "conversations": 3`);
    expect(end).toMatch(/invalid JSON: line 2 column 21: Expected .*$/);
  });

  it('keysAt walks defaults, records and unions; didYouMean keeps to near misses', () => {
    expect(keysAt(RunConfig, [])).toContain('conversations');
    expect(keysAt(RunConfig, ['ops'])).toContain('walkLength');
    expect(keysAt(RunConfig, ['llm'])).toContain('roles');
    expect(didYouMean('Conversations', ['conversations', 'pool'])).toBe('conversations');
    expect(didYouMean('seeed', ['seed', 'pool'])).toBe('seed');
    expect(didYouMean('banana', ['seed', 'pool'])).toBeUndefined();
    expect(didYouMean('x', [])).toBeUndefined();
  });
});
