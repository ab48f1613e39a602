import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { program } from '../../src/cli/main';

/**
 * Documented = exists: every `magnet ...` / `node bin/magnet.js ...` command shown in README.md, CONTRIBUTING.md
 * and docs/*.md (fenced code blocks and inline code) names a real command and subcommand and only flags that
 * command has, and every `npm run X` names a script of package.json. Running each command against a run is the
 * e2e side of this (issue 23); this check needs no server and catches docs that drift from the CLI.
 */
const ROOT = path.join(__dirname, '..', '..');
const PAGES = [
  'README.md',
  'CONTRIBUTING.md',
  ...readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

interface Shown {
  page: string;
  line: number;
  text: string;
}

/** Command lines of a page: each line of a fenced block, and each inline code span. */
function shownCommands(page: string): Shown[] {
  const out: Shown[] = [];
  let fenced = false;
  readFileSync(path.join(ROOT, page), 'utf8')
    .split('\n')
    .forEach((raw, i) => {
      if (/^\s*```/.test(raw)) {
        fenced = !fenced;
        return;
      }
      const spans = fenced
        ? [raw.replace(/\s#\s.*$/, '')]
        : [...raw.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '');
      for (const span of spans)
        for (const part of span.split(/&&|\|\||[|;]/)) {
          const text = part.trim();
          if (/^(magnet|node bin\/magnet\.js|npm run) /.test(text)) out.push({ page, line: i + 1, text });
        }
    });
  return out;
}

/** Why a magnet command line does not match the CLI, or undefined. */
function magnetProblem(root: Command, text: string): string | undefined {
  const words = text.replace(/^(magnet|node bin\/magnet\.js)\s+/, '').split(/\s+/);
  let cmd = root;
  let i = 0;
  for (; i < words.length; i++) {
    const sub = cmd.commands.find((c) => c.name() === words[i]);
    if (!sub) break;
    cmd = sub;
  }
  // `magnet <command> --help` stands for every command
  if (cmd === root && words[0]?.startsWith('<')) return undefined;
  if (cmd === root) return `unknown command "${words[0]}"`;
  const flags = new Set(['--help', ...cmd.options.map((o) => o.long).filter((f): f is string => !!f)]);
  const unknown = words.slice(i).filter((w) => /^--[a-z]/.test(w) && !flags.has(w.split('=')[0] as string));
  return unknown.length ? `${cmd.name()} has no ${unknown.join(', ')}` : undefined;
}

test('every documented magnet command and npm script exists, with the flags shown', () => {
  const root = program({ code: 0 });
  const scripts = Object.keys(JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts);
  const shown = PAGES.flatMap(shownCommands);
  const problems = shown.flatMap((s) => {
    const problem = s.text.startsWith('npm run ')
      ? scripts.includes(s.text.split(/\s+/)[2] ?? '')
        ? undefined
        : `no npm script "${s.text.split(/\s+/)[2]}"`
      : magnetProblem(root, s.text);
    return problem ? [`${s.page}:${s.line}: ${s.text}: ${problem}`] : [];
  });
  expect(problems).toEqual([]);
  // the pages do show commands: an extraction that finds nothing would pass for the wrong reason
  expect(
    shown.filter((s) => s.text.startsWith('magnet') || s.text.startsWith('node')).length,
  ).toBeGreaterThan(50);
});

test('a command or flag the CLI does not have is reported', () => {
  const root = program({ code: 0 });
  expect(magnetProblem(root, 'magnet replay my-run')).toBe('unknown command "replay"');
  expect(magnetProblem(root, 'magnet retry my-run --failed')).toBeUndefined();
  expect(magnetProblem(root, 'magnet retry my-run --everything')).toBe('retry has no --everything');
  expect(magnetProblem(root, 'magnet graph draw g.json --html out.html')).toBeUndefined();
});
