/**
 * The commands the docs show, read out of their code blocks (issue 23 item 1: documented = tested). Pure: text in,
 * commands out; test/helpers/docs-commands-run.ts runs them and test/e2e/docs-commands.e2e.test.ts runs the docs'.
 *
 * What counts as a command: in a fenced block tagged bash, sh, shell, zsh, console or untagged, a line (with its
 * `\` continuations, `$ ` prompt and `# comment` removed, split at `&&`, `||` and `;`) whose program is `magnet`,
 * `node bin/magnet.js`, `npm run magnet --` (all three are magnet), `npm run <script>` or `npm test`. In a
 * console block only the `$ ` lines are commands (the rest is output). Leading `NAME=value` words are the
 * command's environment; a pipe's right side is kept to run in the shell.
 *
 * Marks, in an HTML comment right before the block (all its commands, or those containing the `quoted` text):
 *
 *     <!-- docs-test: help-only (why) -->     checked with --help: exit 0 and every --flag it shows is listed
 *     <!-- docs-test: skip `text` (why) -->   not run at all
 *     <!-- docs-test: exit 1 -->               expected to exit 1 (the docs say it fails)
 *
 * or the same after `# docs-test:` as the command's trailing comment. help-only and skip need their reason: a mark
 * is a command the test does not run, so the docs say why.
 *
 * A synopsis line (`[optional]` parts, `a|b` alternatives, `...`) is run in its shortest form: optional parts
 * dropped, one command per alternative (docs-commands-forms.ts).
 */

export type Mode = 'run' | 'help-only' | 'skip';

export interface DocCommand {
  /** where the docs show it: file (as given) and 1-based line of its first line */
  file: string;
  line: number;
  /** the command as written (continuations joined, prompt and comment removed) */
  text: string;
  /** `magnet` (any of its three spellings) or an npm script other than `magnet` */
  program: 'magnet' | 'npm-run';
  /** the shell words after the program (for npm-run: the script, then its arguments), quotes kept */
  args: string[];
  /** NAME=value words before the program */
  env: string[];
  /** the rest of a pipeline (`| jq .x`), run by the shell after the command */
  pipe: string;
  mode: Mode;
  /** why the command is help-only or skipped */
  reason?: string;
  /** the exit code the docs expect */
  exit: number;
  /** a synopsis line: run in its shortest form, its flags checked against --help */
  synopsis: boolean;
}

interface Mark {
  mode: Mode | 'exit';
  exit?: number;
  filter?: string;
  reason?: string;
  at: string;
}

const SHELL_LANGS = new Set(['', 'bash', 'sh', 'shell', 'zsh', 'console']);
const MARK = /^docs-test:\s*(help-only|skip|exit\s+(\d+))\s*(?:`([^`]+)`)?\s*(?:\((.+)\))?\s*$/;

function parseMark(body: string, at: string): Mark {
  const m = MARK.exec(body.trim());
  if (!m)
    throw new Error(`${at}: cannot read the mark "${body.trim()}" (docs-test: help-only|skip|exit N ...)`);
  const mode = m[2] !== undefined ? 'exit' : (m[1] as Mode);
  if (mode !== 'exit' && !m[4])
    throw new Error(`${at}: "docs-test: ${mode}" needs its reason in parentheses`);
  return { mode, exit: m[2] !== undefined ? Number(m[2]) : undefined, filter: m[3], reason: m[4], at };
}

/** Index of the first `#` that starts a comment (a word beginning with #, outside quotes), or -1. */
function commentStart(line: string): number {
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1] ?? ''))) return i;
  }
  return -1;
}

/** Splits at the separators given (outside quotes); returns the pieces with the separator that ended each. */
function splitOutsideQuotes(text: string, seps: string[]): string[] {
  const out: string[] = [];
  let quote = '';
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = '';
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      continue;
    }
    const sep = seps.find((s) => text.startsWith(s, i));
    if (sep) {
      out.push(text.slice(start, i));
      i += sep.length - 1;
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out.map((s) => s.trim()).filter((s) => s.length > 0);
}

/** Shell words, quotes kept as written (the shell removes them when the command runs). */
export function words(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote = '';
  for (const c of text) {
    if (quote) {
      cur += c;
      if (c === quote) quote = '';
    } else if (c === "'" || c === '"') {
      quote = c;
      cur += c;
    } else if (/\s/.test(c)) {
      if (cur) out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (cur) out.push(cur);
  return out;
}

const ENV_WORD = /^[A-Za-z_][A-Za-z0-9_]*=/;

/** The program and its arguments, or undefined when the words are not a command this test runs. */
function programOf(ws: string[]): { program: DocCommand['program']; args: string[] } | undefined {
  if (ws[0] === 'magnet') return { program: 'magnet', args: ws.slice(1) };
  if (ws[0] === 'node' && /(^|\/)bin\/magnet\.js$/.test(ws[1] ?? ''))
    return { program: 'magnet', args: ws.slice(2) };
  if (ws[0] === 'npm' && ws[1] === 'test') return { program: 'npm-run', args: ['test', ...ws.slice(2)] };
  if (ws[0] === 'npm' && ws[1] === 'run' && ws[2] !== undefined) {
    if (ws[2] === 'magnet') return { program: 'magnet', args: ws.slice(ws[3] === '--' ? 4 : 3) };
    return { program: 'npm-run', args: ws.slice(2) };
  }
  return undefined;
}

/** One logical line of a block: its commands. `inlineMark` is the trailing `# docs-test:` comment, if any. */
function commandsOfLine(
  text: string,
  inlineMark: Mark | undefined,
  marks: Mark[],
  file: string,
  line: number,
) {
  const out: DocCommand[] = [];
  for (const segment of splitOutsideQuotes(text, ['&&', '||', ';'])) {
    // a pipe is ` | ` (`a|b` is a synopsis's alternative), and one whose right side starts with a flag is one
    // too (`--run ID | --task-queue Q`)
    const [head, ...rest] = splitOutsideQuotes(segment, [' | ']);
    const alternative = rest[0]?.startsWith('-') ?? false;
    const ws = words(alternative ? segment : (head ?? ''));
    const env: string[] = [];
    while (ENV_WORD.test(ws[0] ?? '')) env.push(ws.shift()!);
    const prog = programOf(ws);
    if (!prog) continue;
    const cmd: DocCommand = {
      file,
      line,
      text: segment,
      ...prog,
      env,
      pipe: alternative || rest.length === 0 ? '' : `| ${rest.join(' | ')}`,
      mode: 'run',
      exit: 0,
      synopsis: prog.args.some((a) => /[[\]]|\||^(\.\.\.|…)$/.test(a.replace(/<[^>]*>/g, ''))),
    };
    for (const mark of [...marks, ...(inlineMark ? [inlineMark] : [])]) {
      if (mark.filter && !segment.includes(mark.filter)) continue;
      if (mark.mode === 'exit') cmd.exit = mark.exit!;
      else {
        cmd.mode = mark.mode;
        cmd.reason = mark.reason;
      }
    }
    out.push(cmd);
  }
  return out;
}

/** Every command in a markdown file's shell code blocks, in the order they appear. */
export function extractCommands(file: string, markdown: string): DocCommand[] {
  const lines = markdown.split('\n');
  const out: DocCommand[] = [];
  let pending: Mark[] = [];
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i] ?? '';
    const comment = /^\s*<!--\s*(docs-test:.*?)\s*-->\s*$/.exec(text);
    if (comment) {
      pending.push(parseMark(comment[1] ?? '', `${file}:${i + 1}`));
      continue;
    }
    const fence = /^\s*((`|~){3,})\s*([\w-]*)/.exec(text);
    if (!fence) {
      if (text.trim() !== '' && pending[0])
        throw new Error(`${pending[0].at}: a docs-test mark must come right before a code block`);
      continue;
    }
    const lang = (fence[3] ?? '').toLowerCase();
    const close = new RegExp(`^\\s*${fence[2]}{${fence[1]!.length},}\\s*$`);
    let end = i + 1;
    while (end < lines.length && !close.test(lines[end] ?? '')) end++;
    if (SHELL_LANGS.has(lang))
      out.push(...blockCommands(file, lines, i + 1, end, lang === 'console', pending));
    else if (pending[0]) throw new Error(`${pending[0].at}: a docs-test mark on a ${lang} block`);
    pending = [];
    i = end;
  }
  return out;
}

function blockCommands(
  file: string,
  lines: string[],
  from: number,
  to: number,
  console: boolean,
  marks: Mark[],
): DocCommand[] {
  const out: DocCommand[] = [];
  for (let i = from; i < to; i++) {
    const first = i;
    let raw = lines[i] ?? '';
    const prompt = /^\s*\$\s/.exec(raw);
    if (console && !prompt) continue;
    if (prompt) raw = raw.slice(prompt[0].length);
    let text = '';
    let inline: Mark | undefined;
    for (;;) {
      const hash = commentStart(raw);
      if (hash >= 0) {
        const body = raw.slice(hash + 1).trim();
        if (body.startsWith('docs-test:')) inline = parseMark(body, `${file}:${i + 1}`);
        raw = raw.slice(0, hash);
      }
      const cont = /\\\s*$/.test(raw);
      text += ' ' + raw.replace(/\\\s*$/, '');
      if (!cont || i + 1 >= to) break;
      raw = lines[++i] ?? '';
    }
    out.push(...commandsOfLine(text.trim().replace(/\s+/g, ' '), inline, marks, file, first + 1));
  }
  return out;
}
