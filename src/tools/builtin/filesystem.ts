import { ToolError } from '../types';
import { argEnum, argString, byText, defineToolSet, Hints, hashInt } from './util';

const HOME = '/home/user';

type FsState = {
  seed: number;
  /** Absolute paths of all directories, including "/" and every ancestor of a file. */
  directories: string[];
  /** Absolute file path -> text content. */
  files: { [path: string]: string };
};

/** Absolute, without "." / ".." / trailing slash; relative paths and "~" resolve against the home directory. */
function normalize(raw: string): string {
  const abs = raw.startsWith('/') ? raw : raw.startsWith('~') ? HOME + raw.slice(1) : `${HOME}/${raw}`;
  const parts: string[] = [];
  for (const seg of abs.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  return `/${parts.join('/')}`;
}

function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function bytes(content: string): number {
  return Buffer.byteLength(content, 'utf8');
}

function isDir(s: FsState, path: string): boolean {
  return s.directories.includes(path);
}

function requireDir(s: FsState, path: string): void {
  if (isDir(s, path)) return;
  if (path in s.files) throw new ToolError(`${path} is a file, not a directory`);
  throw new ToolError(`directory not found: ${path}`);
}

function requireFile(s: FsState, path: string): string {
  const content = s.files[path];
  if (content !== undefined) return content;
  if (isDir(s, path)) throw new ToolError(`${path} is a directory, not a file`);
  throw new ToolError(`file not found: ${path}`);
}

function mkdirs(s: FsState, path: string): boolean {
  if (isDir(s, path)) return false;
  let cur = '';
  for (const seg of path.split('/').filter(Boolean)) {
    cur += `/${seg}`;
    if (cur in s.files) throw new ToolError(`cannot create directory ${path}: ${cur} is a file`);
    if (!isDir(s, cur)) s.directories.push(cur);
  }
  s.directories.sort();
  return true;
}

function initialState(seed: number): FsState {
  const n = (label: string, min: number, max: number) => hashInt(min, max, seed, label);
  const files: FsState['files'] = {
    [`${HOME}/notes.txt`]:
      'Meeting with the design team on Monday.\nReview the quarterly budget before Friday.\nCall the landlord about the heating.\n',
    [`${HOME}/todo.txt`]:
      '- buy groceries\n- renew passport\n- back up the reports folder\n- book dentist appointment\n',
    [`${HOME}/reports/q1_report.txt`]: `Q1 report\nRevenue: ${n('q1', 80, 140)}000 USD\nNew customers: ${n('q1c', 20, 90)}\nStatus: on track\n`,
    [`${HOME}/reports/q2_report.txt`]: `Q2 report\nRevenue: ${n('q2', 90, 160)}000 USD\nNew customers: ${n('q2c', 20, 90)}\nStatus: ahead of plan\n`,
    [`${HOME}/projects/readme.md`]:
      '# Weather app\n\nA small app that shows the forecast for your city.\n\nRun `python main.py` to start.\n',
    [`${HOME}/projects/main.py`]:
      'def main():\n    print("Hello, weather!")\n\n\nif __name__ == "__main__":\n    main()\n',
    [`${HOME}/data/sales.csv`]: `month,units\njan,${n('jan', 100, 400)}\nfeb,${n('feb', 100, 400)}\nmar,${n('mar', 100, 400)}\n`,
    [`${HOME}/data/config.json`]: `{"theme": "dark", "autosave": true, "retries": ${n('retries', 1, 5)}}\n`,
  };
  const state: FsState = { seed, directories: [], files: {} };
  mkdirs(state, `${HOME}/backup`);
  for (const path of Object.keys(files)) mkdirs(state, parentOf(path));
  state.files = files;
  return state;
}

/** The path relative to the home directory ("reports/q1_report.txt"), which the tools also accept. */
function relativeToHome(path: string): string[] {
  return path.startsWith(`${HOME}/`) ? [path.slice(HOME.length + 1)] : [];
}

/**
 * Existing files and directories, absolute first and then the home-relative forms. "/" and "/home" are
 * left out: valid, but not places a user of /home/user refers to. find_file's optional `directory` is the
 * one pairing hints cannot guarantee: the file must be under it (the default, /home/user, always works).
 */
function valueHints(s: FsState): Hints {
  const files = Object.keys(s.files).sort(byText);
  const directories = s.directories.filter((d) => !HOME.startsWith(`${d === '/' ? '' : d}/`));
  const withRelative = (paths: string[]) => [...paths, ...paths.flatMap(relativeToHome)];
  return {
    path: withRelative(files),
    directory: withRelative([...directories].sort(byText)),
    file_name: files
      .filter((p) => p.startsWith(`${HOME}/`))
      .map(baseName)
      .sort(byText),
    mode: ['overwrite', 'append'],
  };
}

function findFiles(s: FsState, under: string, name: string): string[] {
  const prefix = under === '/' ? '/' : `${under}/`;
  const candidates = Object.keys(s.files)
    .filter((p) => p.startsWith(prefix))
    .sort();
  const wanted = name.toLowerCase();
  const exact = candidates.filter((p) => baseName(p).toLowerCase() === wanted);
  return exact.length > 0 ? exact : candidates.filter((p) => baseName(p).toLowerCase().includes(wanted));
}

export const filesystemTools = defineToolSet<FsState>({
  name: 'filesystem',
  initialState,
  valueHints,
  handlers: {
    create_directory(s, args) {
      const directory = normalize(argString(args, 'directory'));
      const created = mkdirs(s, directory);
      return { directory, created };
    },
    list_directory(s, args) {
      const directory = normalize(argString(args, 'directory'));
      requireDir(s, directory);
      const children = new Set<string>();
      for (const d of s.directories)
        if (d !== directory && parentOf(d) === directory) children.add(`${baseName(d)}/`);
      for (const f of Object.keys(s.files)) if (parentOf(f) === directory) children.add(baseName(f));
      const entries = [...children].sort();
      return { directory, entries, count: entries.length };
    },
    find_file(s, args) {
      const fileName = argString(args, 'file_name');
      const under = normalize(argString(args, 'directory', HOME));
      requireDir(s, under);
      const path = findFiles(s, under, baseName(normalize(fileName)))[0];
      if (!path) throw new ToolError(`no file matching "${fileName}" under ${under}`);
      return { path, directory: parentOf(path) };
    },
    file_exists(s, args) {
      const path = normalize(argString(args, 'path'));
      return { path, exists: path in s.files || isDir(s, path) };
    },
    read_file(s, args) {
      const path = normalize(argString(args, 'path'));
      const content = requireFile(s, path);
      return { path, content, size: bytes(content) };
    },
    word_count(_s, args) {
      // Empty text is a valid input here, so read it directly rather than through argString.
      const raw = args.content;
      if (raw === undefined || raw === null) throw new ToolError('missing required argument "content"');
      const content = String(raw);
      const words = content.split(/\s+/).filter((w) => w !== '').length;
      const lines = content === '' ? 0 : content.replace(/\n$/, '').split('\n').length;
      return { words, lines, characters: content.length };
    },
    write_file(s, args) {
      const path = normalize(argString(args, 'path'));
      const raw = args.content;
      if (raw === undefined || raw === null) throw new ToolError('missing required argument "content"');
      const mode = argEnum(args, 'mode', ['overwrite', 'append'], 'overwrite');
      if (isDir(s, path)) throw new ToolError(`${path} is a directory, not a file`);
      requireDir(s, parentOf(path));
      const content = mode === 'append' ? (s.files[path] ?? '') + String(raw) : String(raw);
      s.files[path] = content;
      return { path, size: bytes(content) };
    },
    copy_file(s, args) {
      const source = normalize(argString(args, 'path'));
      const directory = normalize(argString(args, 'directory'));
      const content = requireFile(s, source);
      requireDir(s, directory);
      const path = normalize(`${directory}/${baseName(source)}`);
      s.files[path] = content;
      return { path, size: bytes(content) };
    },
    delete_file(s, args) {
      const path = normalize(argString(args, 'path'));
      requireFile(s, path);
      delete s.files[path];
      return { path, deleted: true };
    },
  },
});
