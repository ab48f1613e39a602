import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { extractCommands } from '../helpers/docs-commands';
import { fillPlaceholders, flagsShown, shortestForms } from '../helpers/docs-commands-forms';
import { runDocCommand, tally, type RunSettings } from '../helpers/docs-commands-run';

/**
 * The reading and running of documented commands (test/e2e/docs-commands.e2e.test.ts runs the docs' own): what
 * is a command, marks, synopsis forms, placeholders, and a runner that fails on a command that breaks.
 */

const fence = '```';
const doc = (...lines: string[]): string => lines.join('\n');

describe('extractCommands', () => {
  test('reads magnet, node bin/magnet.js and npm run commands from shell blocks only', () => {
    const md = doc(
      'Run `magnet runs` (inline code is no block).',
      `${fence}bash`,
      'npm ci && npm run demo     # main job',
      'npm test',
      'export OPENAI_API_KEY=...',
      'node bin/magnet.js status my-run-1 --json   # counts',
      'MAGNET_HOME=/tmp/h TEMPORAL_ADDRESS=127.0.0.1:7233 magnet runs',
      'npm run magnet -- validate out.jsonl',
      `${fence}`,
      `${fence}json`,
      '{ "cmd": "magnet run" }',
      `${fence}`,
      `${fence}console`,
      '$ magnet estimate \\',
      '    --config my-run.json   # a comment after a continuation',
      'magnet output line, not a command',
      `${fence}`,
      `${fence}`,
      "magnet status x | jq '.a # not a comment'",
      `${fence}`,
    );
    const got = extractCommands('doc.md', md).map((c) => [
      c.line,
      c.program,
      c.args.join(' '),
      c.env,
      c.pipe,
    ]);
    expect(got).toEqual([
      [3, 'npm-run', 'demo', [], ''],
      [4, 'npm-run', 'test', [], ''],
      [6, 'magnet', 'status my-run-1 --json', [], ''],
      [7, 'magnet', 'runs', ['MAGNET_HOME=/tmp/h', 'TEMPORAL_ADDRESS=127.0.0.1:7233'], ''],
      [8, 'magnet', 'validate out.jsonl', [], ''],
      [14, 'magnet', 'estimate --config my-run.json', [], ''],
      [19, 'magnet', 'status x', [], "| jq '.a # not a comment'"],
    ]);
  });

  test('marks: before a block (all or a filtered few), inline, expected exit codes', () => {
    const md = doc(
      '<!-- docs-test: help-only `run --config` (needs a real OpenAI key) -->',
      '<!-- docs-test: exit 1 `validate bad` -->',
      '',
      `${fence}bash`,
      'magnet estimate --config c.json',
      'magnet run --config c.json',
      'magnet validate bad.jsonl',
      'magnet worker --run r   # docs-test: skip (serves until stopped)',
      `${fence}`,
      `${fence}bash`,
      'magnet runs',
      `${fence}`,
    );
    const got = extractCommands('doc.md', md).map((c) => [c.args[0], c.mode, c.exit, c.reason]);
    expect(got).toEqual([
      ['estimate', 'run', 0, undefined],
      ['run', 'help-only', 0, 'needs a real OpenAI key'],
      ['validate', 'run', 1, undefined],
      ['worker', 'skip', 0, 'serves until stopped'],
      ['runs', 'run', 0, undefined],
    ]);
  });

  test('a mark without its reason, or away from a block, is an error', () => {
    const block = doc(`${fence}bash`, 'magnet runs', `${fence}`);
    expect(() => extractCommands('d.md', doc('<!-- docs-test: skip -->', block))).toThrow(
      'd.md:1: "docs-test: skip" needs its reason',
    );
    expect(() => extractCommands('d.md', doc('<!-- docs-test: exit 1 -->', 'text', block))).toThrow(
      'd.md:1: a docs-test mark must come right before a code block',
    );
    expect(() => extractCommands('d.md', doc('<!-- docs-test: sometimes -->', block))).toThrow('cannot read');
  });

  test('a synopsis is one; a plain command with a <placeholder> is not', () => {
    const md = doc(
      `${fence}bash`,
      'magnet export <run> --format f [--split 0.95]',
      'magnet pause|resume <run-id>',
      'magnet pool inspect <files|folders|builtin[:category]>',
      `${fence}`,
    );
    expect(extractCommands('d.md', md).map((c) => c.synopsis)).toEqual([true, true, false]);
  });
});

describe('synopsis forms and placeholders', () => {
  const w = (s: string): string[] => s.split(' ');
  test('optional parts dropped (nested too), alternatives expanded', () => {
    expect(
      shortestForms(w('graph --pool P [--pool P2] --out g.json [--html g.html [--category C]]')),
    ).toEqual([w('graph --pool P --out g.json')]);
    expect(shortestForms(w('pause|stop <run-id>'))).toEqual([w('pause <run-id>'), w('stop <run-id>')]);
    expect(shortestForms(w('worker --run ID | --task-queue Q [--config C]'))).toEqual([
      w('worker --run ID'),
      w('worker --task-queue Q'),
    ]);
    expect(shortestForms(w('retry <run> --failed [--set role.field=V ...]'))).toEqual([
      w('retry <run> --failed'),
    ]);
    expect(shortestForms(w('pool inspect <a|b[:c]>'))).toEqual([w('pool inspect <a|b[:c]>')]);
    expect(() => shortestForms(w('run [--x'))).toThrow('unbalanced [');
  });

  test('flags shown, optional and alternative ones included', () => {
    expect(flagsShown(w('export <run> --format f [--dedup|--no-dedup] [--out DIR]'))).toEqual([
      '--format',
      '--dedup',
      '--no-dedup',
      '--out',
    ]);
  });

  test('placeholders filled; one with no test value is an error', () => {
    const values = { '<run>': 'r1', FILE: 'a.jsonl', $R: 'r1' };
    expect(fillPlaceholders(w('export <run> --out <run>.d FILE $R FILES'), values)).toEqual(
      w('export r1 --out r1.d a.jsonl r1 FILES'),
    );
    expect(() => fillPlaceholders(w('report <dir>'), values)).toThrow(
      'no test value for the placeholder <dir>',
    );
  });
});

describe('runDocCommand', () => {
  // A stand-in for the CLI (the fast project has no build): `ok` exits 0, anything else is an unknown command
  // with exit 1; `--help` lists --json only. The e2e test runs the docs on the real one.
  const binDir = mkdtempSync(path.join(os.tmpdir(), 'magnet-docs-bin-'));
  writeFileSync(
    path.join(binDir, 'magnet'),
    [
      '#!/usr/bin/env bash',
      'for a in "$@"; do [ "$a" = --help ] && { echo "Options:"; echo "  --json  as JSON"; exit 0; }; done',
      '[ "$1" = ok ] && exit 0',
      '[ "$1" = slow ] && sleep 5',
      '[ "$1" = warns ] && { echo \'unknown format "uuid" ignored in schema\' >&2; exit 0; }',
      'echo "some output"; echo "error: unknown command \'$1\'" >&2; exit 1',
    ].join('\n'),
  );
  chmodSync(path.join(binDir, 'magnet'), 0o755);
  afterAll(() => rmSync(binDir, { recursive: true, force: true }));
  const settings: RunSettings = {
    cwd: binDir,
    env: process.env,
    binDir,
    values: { '<run>': 'r1' },
    scripts: { demo: 'node bin/magnet.js demo' },
    timeoutMs: 2000,
  };
  const run = async (md: string) => {
    const outcomes = [];
    for (const c of extractCommands('docs/x.md', md)) outcomes.push(await runDocCommand(c, settings));
    return outcomes;
  };

  test('a documented command that breaks fails, naming file:line, exit code and its last stderr line', async () => {
    const outcomes = await run(
      doc(`${fence}bash`, 'magnet ok <run>', 'magnet valdate <run>  # a typo', `${fence}`),
    );
    expect(outcomes.map((o) => o.failures)).toEqual([
      [],
      ["docs/x.md:3: magnet valdate r1: exit 1 (the docs expect 0): error: unknown command 'valdate'"],
    ]);
    expect(tally(outcomes)).toBe(
      '2 documented commands: 2 run (2 command lines, 0 of them shown earlier and not run again), 0 help-only, 0 skipped',
    );
  });

  test('an exit the docs mark as expected passes; the wrong one fails', async () => {
    const outcomes = await run(
      doc('<!-- docs-test: exit 1 -->', `${fence}bash`, 'magnet valdate', 'magnet ok', `${fence}`),
    );
    expect(outcomes.map((o) => o.failures)).toEqual([
      [],
      ['docs/x.md:4: magnet ok: exit 0 (the docs expect 1): (nothing on stderr)'],
    ]);
  });

  test('help-only: --help must list every flag shown; skip runs nothing; npm scripts must exist', async () => {
    const outcomes = await run(
      doc(
        '<!-- docs-test: help-only (needs a provider) -->',
        `${fence}bash`,
        'magnet valdate <run> --json',
        'magnet ok <run> --json --jsno',
        `${fence}`,
        `${fence}bash`,
        'magnet valdate   # docs-test: skip (for the test)',
        'npm run demo && npm run dmeo',
        `${fence}`,
      ),
    );
    expect(outcomes.map((o) => [o.status, o.ran, o.failures])).toEqual([
      ['help-only', ['magnet valdate r1 --json --help'], []],
      [
        'help-only',
        ['magnet ok r1 --json --jsno --help'],
        ['docs/x.md:4: --jsno is not an option of "magnet ok r1 --json --jsno --help"'],
      ],
      ['skipped', [], []],
      ['skipped', [], []],
      ['skipped', [], ['docs/x.md:8: no npm script "dmeo"']],
    ]);
    expect(tally(outcomes)).toBe(
      '5 documented commands: 0 run (0 command lines, 0 of them shown earlier and not run again), 2 help-only, 3 skipped',
    );
  });

  test('a line that passed before is not run again; one that failed is', async () => {
    const passed = new Map<string, string>();
    const outcomes = [];
    const md = doc(
      `${fence}bash`,
      'magnet ok <run>',
      'magnet valdate',
      'magnet ok r1',
      'magnet valdate',
      `${fence}`,
    );
    for (const c of extractCommands('docs/x.md', md))
      outcomes.push(await runDocCommand(c, { ...settings, passed }));
    expect(outcomes.map((o) => [o.repeats, o.failures.length])).toEqual([
      [[], 0],
      [[], 1],
      [['docs/x.md:2'], 0],
      [[], 1],
    ]);
  });

  test('an Ajv "unknown format" warning fails a command that exits 0 (the rule of every e2e CLI run)', async () => {
    const [o] = await run(doc(`${fence}bash`, 'magnet warns', `${fence}`));
    expect(o!.failures).toEqual([
      'docs/x.md:2: magnet warns: printed unknown format "uuid" ignored in schema',
    ]);
  });

  test('a command still running at its time limit fails', async () => {
    const [o] = await run(doc(`${fence}bash`, 'magnet slow', `${fence}`));
    expect(o!.failures).toEqual(['docs/x.md:2: magnet slow: still running after 2 s']);
  });
});
