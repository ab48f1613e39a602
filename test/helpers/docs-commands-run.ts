import { spawn } from 'node:child_process';
import type { DocCommand } from './docs-commands';
import { fillPlaceholders, flagsShown, shortestForms } from './docs-commands-forms';
import { unknownFormatLines } from './stderr';

/**
 * Runs the commands docs-commands.ts reads out of the docs, each in bash (pipes, quotes and `NAME=value` words
 * work as a reader's shell does them) with `magnet` on the PATH, and says which failed and how. A synopsis runs
 * in its shortest forms; the flags of its optional parts are checked without running by
 * test/unit/docs-commands.test.ts (against the CLI's command tree), which keeps this test to one spawn a form.
 */

export interface RunSettings {
  /** working folder of every command */
  cwd: string;
  /** the environment (PATH gets `binDir` in front) */
  env: NodeJS.ProcessEnv;
  /** a folder holding the `magnet` executable the commands call */
  binDir: string;
  /** placeholder values, see fillPlaceholders */
  values: Record<string, string>;
  /** the npm scripts there are (package.json's), which `npm run <script>` must name */
  scripts: Record<string, string>;
  timeoutMs: number;
  /**
   * Lines that already ran as the docs expect, with where: the same line shown again (commands.md and graph.md
   * share their synopses) is not run twice, which keeps the test short
   */
  passed?: Map<string, string>;
}

export interface Outcome {
  command: DocCommand;
  status: 'ran' | 'help-only' | 'skipped';
  /** the shell lines run */
  ran: string[];
  /** one line per problem, with the docs' file:line; empty when the command did what the docs say */
  failures: string[];
  /** where each line of `ran` that was not run again ran before */
  repeats: string[];
}

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one shell line; a line still running after `timeoutMs` is killed (with its children) and fails. */
export function shell(line: string, s: RunSettings): Promise<Exit & { timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const env = { ...s.env, PATH: `${s.binDir}:${s.env.PATH ?? ''}` };
    const p = spawn('bash', ['-o', 'pipefail', '-c', line], { cwd: s.cwd, env, detached: true });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      process.kill(-p.pid!, 'SIGKILL');
    }, s.timeoutMs);
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

const lastLine = (text: string): string =>
  text
    .trim()
    .split('\n')
    .filter((l) => l.trim())
    .pop() ?? '(nothing on stderr)';

const line = (c: DocCommand, args: string[]): string =>
  [...c.env, 'magnet', ...args, ...(c.pipe ? [c.pipe] : [])].join(' ');

/** Runs `line`; a problem when it exits otherwise than `expected`. */
async function expectExit(c: DocCommand, run: string, expected: number, s: RunSettings) {
  const r = await shell(run, s);
  if (r.timedOut)
    return { r, problem: `${c.file}:${c.line}: ${run}: still running after ${s.timeoutMs / 1000} s` };
  // the suite's rule for every CLI it runs (issue 22): no Ajv "unknown format" warning
  const unknown = unknownFormatLines(r.stderr)[0];
  if (unknown) return { r, problem: `${c.file}:${c.line}: ${run}: printed ${unknown}` };
  if (r.code === expected) return { r };
  const last = lastLine(r.stderr || r.stdout);
  return { r, problem: `${c.file}:${c.line}: ${run}: exit ${r.code} (the docs expect ${expected}): ${last}` };
}

/** `magnet ... --help` exits 0 and lists every flag the docs show for the command. */
async function helpCheck(c: DocCommand, words: string[], s: RunSettings): Promise<string[]> {
  const run = ['magnet', ...words, '--help'].join(' ');
  const { r, problem } = await expectExit({ ...c, exit: 0 }, run, 0, s);
  if (problem) return [problem];
  return flagsShown(c.args)
    .filter((f) => !new RegExp(`(^|[\\s,])${f}([\\s,=]|$)`, 'm').test(r.stdout))
    .map((f) => `${c.file}:${c.line}: ${f} is not an option of "${run}"`);
}

/** Runs a documented command as the docs say (or its help, or nothing, as marked). */
export async function runDocCommand(c: DocCommand, s: RunSettings): Promise<Outcome> {
  const out: Outcome = {
    command: c,
    status: { run: 'ran', 'help-only': 'help-only', skip: 'skipped' }[c.mode] as Outcome['status'],
    ran: [],
    failures: [],
    repeats: [],
  };
  if (c.program === 'npm-run') {
    // `npm run demo`, `test`, `bench`, `build`... are what CI itself runs (.ci/run): not run again here, but the
    // script must exist
    out.status = 'skipped';
    const script = c.args[0] ?? '';
    if (!Object.hasOwn(s.scripts, script))
      out.failures.push(`${c.file}:${c.line}: no npm script "${script}"`);
    return out;
  }
  if (c.mode === 'skip') return out;
  let forms: string[][];
  try {
    forms = shortestForms(c.args).map((f) => fillPlaceholders(f, s.values));
  } catch (e) {
    out.failures.push(`${c.file}:${c.line}: ${c.text}: ${(e as Error).message}`);
    return out;
  }
  for (const form of forms) {
    if (c.mode === 'help-only') {
      out.ran.push(`magnet ${form.join(' ')} --help`);
      out.failures.push(...(await helpCheck(c, form, s)));
    }
    if (c.mode === 'run') {
      const run = line(c, form);
      out.ran.push(run);
      const before = s.passed?.get(`${c.exit} ${run}`);
      if (before) {
        out.repeats.push(before);
        continue;
      }
      const { problem } = await expectExit(c, run, c.exit, s);
      if (problem) out.failures.push(problem);
      else s.passed?.set(`${c.exit} ${run}`, `${c.file}:${c.line}`);
    }
  }
  return out;
}

/** "N documented commands: R run (L lines, P shown earlier), H help-only, S skipped" over the outcomes. */
export function tally(outcomes: Outcome[]): string {
  const n = (st: Outcome['status']) => outcomes.filter((o) => o.status === st).length;
  const lines = outcomes.filter((o) => o.status === 'ran').flatMap((o) => o.ran).length;
  const repeats = outcomes.flatMap((o) => o.repeats).length;
  return (
    `${outcomes.length} documented commands: ${n('ran')} run (${lines} command lines, ${repeats} of them shown ` +
    `earlier and not run again), ${n('help-only')} help-only, ${n('skipped')} skipped`
  );
}
