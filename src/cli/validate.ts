import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { VALIDATE_FORMATS, type ValidateFormat } from '../export/formats';
import { recordFiles } from '../export/stream';
import { bfclMissed, bfclSingleTools, checkRecord, checkRow, sniffFormat } from '../export/validate';
import { ConfigError } from '../io/config-file';

export interface FileReport {
  file: string;
  /** `record`: conversation records (a run's `conversations/` folder, or one record file). */
  format: ValidateFormat | 'record';
  rows: number;
  problems: { line: number; message: string }[];
}

async function* lines(file: string): AsyncGenerator<{ n: number; text: string }> {
  const rl = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let n = 0;
  for await (const text of rl) {
    n++;
    if (text.trim() !== '') yield { n, text };
  }
}

async function firstRow(file: string): Promise<unknown> {
  for await (const { text } of lines(file)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** BFCL function docs next to an entries file (multi_turn_func_doc/<class>.json), by class. */
async function bfclDocs(dir: string): Promise<Map<string, Map<string, unknown>>> {
  const docs = new Map<string, Map<string, unknown>>();
  const folder = path.join(dir, 'multi_turn_func_doc');
  for (const name of await fs.readdir(folder).catch(() => [] as string[])) {
    const fns = new Map<string, unknown>();
    for await (const { text } of lines(path.join(folder, name))) {
      const f = JSON.parse(text) as { name?: string; parameters?: unknown };
      if (f.name) fns.set(f.name, f.parameters ?? { type: 'object' });
    }
    docs.set(name.replace(/\.json$/, ''), fns);
  }
  return docs;
}

async function checkFile(
  file: string,
  format: ValidateFormat,
  ctx: (row: Record<string, unknown>) => Parameters<typeof checkRow>[2] = () => ({}),
  onRow?: (row: Record<string, unknown>) => void,
): Promise<FileReport> {
  const report: FileReport = { file, format, rows: 0, problems: [] };
  for await (const { n, text } of lines(file)) {
    report.rows++;
    let row: unknown;
    try {
      row = JSON.parse(text);
    } catch (e) {
      report.problems.push({ line: n, message: `not JSON (${(e as Error).message})` });
      continue;
    }
    const r = row as Record<string, unknown>;
    for (const message of checkRow(format, row, ctx(r))) report.problems.push({ line: n, message });
    onRow?.(r);
  }
  if (report.rows === 0) report.problems.push({ line: 0, message: 'the file holds no rows' });
  return report;
}

/** The problems of one record file (a whole JSON document), each numbered `line` in the report. */
async function recordProblems(file: string, line: number, name: string): Promise<FileReport['problems']> {
  let raw: unknown;
  try {
    raw = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (e) {
    return [{ line, message: `${name}not JSON (${(e as Error).message})` }];
  }
  return checkRecord(raw).map((message) => ({ line, message: `${name}${message}` }));
}

/**
 * The records of a conversations folder, one row each (in name order: row N is the N-th record file); a
 * problem names the record file, the turn and the field.
 */
async function checkRecords(dir: string, files: readonly string[]): Promise<FileReport> {
  const report: FileReport = { file: dir, format: 'record', rows: files.length, problems: [] };
  for (const [i, f] of files.entries())
    report.problems.push(...(await recordProblems(f, i + 1, `${path.basename(f)}: `)));
  if (files.length === 0) report.problems.push({ line: 0, message: 'the folder holds no records' });
  return report;
}

/** A whole-file JSON object with a record's turns and plan: a conversation record (`conv-NNNNN.json`). */
async function isRecordFile(file: string): Promise<boolean> {
  if (!file.endsWith('.json')) return false;
  try {
    const raw = JSON.parse(await fs.readFile(file, 'utf8')) as unknown;
    return typeof raw === 'object' && raw !== null && 'turns' in raw && 'fsp' in raw;
  } catch {
    return false;
  }
}

/** Sub-folders of an export that hold no files of their own to check: BFCL reads them beside its entries. */
const BESIDE = new Set(['possible_answer', 'multi_turn_func_doc']);

/**
 * The data files of an export folder (`magnet export`'s --out), of one format's folder in it, or of an hf
 * folder: JSON lines files but the provenance sidecars, BFCL entries files (their answers and function docs
 * are checked with them), and the same one and two levels down.
 */
async function exportDataFiles(dir: string, depth = 0): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const file = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (depth < 2 && !BESIDE.has(e.name)) out.push(...(await exportDataFiles(file, depth + 1)));
    } else if (e.name.endsWith('.jsonl') && !e.name.endsWith('.provenance.jsonl')) out.push(file);
    else if (/^BFCL_.*\.json$/.test(e.name)) out.push(file);
  }
  return out;
}

/**
 * Checks FILE (or an `hf` folder: its data files) against its format, sniffed from the first row when not
 * given. A BFCL entries file is checked with its possible_answer file and function docs when they are there.
 * A run folder (or its `conversations/` folder, or one record file) has its conversation records checked.
 */
export async function validatePath(target: string, format?: string): Promise<FileReport[]> {
  if (format !== undefined && !(VALIDATE_FORMATS as readonly string[]).includes(format))
    throw new ConfigError(`--format ${format}: expected one of ${VALIDATE_FORMATS.join(', ')}`);
  const stat = await fs.stat(target).catch(() => {
    throw new ConfigError(`${target}: no such file or folder`);
  });
  if (stat.isDirectory()) {
    const conversations = path.join(target, 'conversations');
    if (
      await fs.stat(conversations).then(
        (s) => s.isDirectory(),
        () => false,
      )
    )
      return [await checkRecords(conversations, await recordFiles(conversations))];
    const records = await recordFiles(target);
    if (records.length > 0) return [await checkRecords(target, records)];
    const files = await exportDataFiles(target);
    if (files.length === 0)
      throw new ConfigError(
        `${target}: not a run folder (no conversations/), a conversations folder or an export folder (no data files: *.jsonl, BFCL_*.json, data/*.jsonl)`,
      );
    const out: FileReport[] = [];
    for (const f of files) out.push(...(await validatePath(f, format)));
    return out;
  }
  const fmt = (format as ValidateFormat | undefined) ?? sniffFormat(await firstRow(target));
  if (!fmt && (await isRecordFile(target)))
    return [{ file: target, format: 'record', rows: 1, problems: await recordProblems(target, 1, '') }];
  if (!fmt)
    throw new ConfigError(
      `${target}: cannot tell the format from its first row; name it with --format (${VALIDATE_FORMATS.join(', ')})`,
    );
  if (fmt === 'bfcl-single') return checkBfclSingle(target);
  if (fmt !== 'bfcl') return [await checkFile(target, fmt)];
  const dir = path.dirname(target);
  const docs = await bfclDocs(dir);
  const entries = new Map<string, { turns: number; classes: string[]; missed: Map<number, string[]> }>();
  const report = await checkFile(target, fmt, undefined, (row) => {
    if (typeof row.id === 'string' && Array.isArray(row.question))
      entries.set(row.id, {
        turns: row.question.length,
        classes: Array.isArray(row.involved_classes) ? row.involved_classes.map(String) : [],
        missed: bfclMissed(row),
      });
  });
  const answers = path.join(dir, 'possible_answer', path.basename(target));
  const hasAnswers = await fs.stat(answers).then(
    () => true,
    () => false,
  );
  if (!hasAnswers) return [report];
  const seen = new Set<string>();
  const answerReport = await checkFile(answers, 'bfcl-answers', (row) => {
    const e = typeof row.id === 'string' ? entries.get(row.id) : undefined;
    if (!e) return {};
    seen.add(String(row.id));
    const tools = new Map<string, unknown>();
    for (const c of e.classes) for (const [n, p] of docs.get(c) ?? []) tools.set(n, p);
    return {
      bfclTurns: e.turns,
      ...(e.missed.size > 0 ? { bfclMissed: e.missed } : {}),
      ...(docs.size > 0 ? { bfclTools: tools } : {}),
    };
  });
  for (const id of entries.keys())
    if (!seen.has(id)) answerReport.problems.push({ line: 0, message: `entry ${id} has no ground truth` });
  return [report, answerReport];
}

/**
 * A single-turn BFCL entries file, with its possible_answer file when there is one (irrelevance has none):
 * every expected call is checked against the functions its entry offers.
 */
async function checkBfclSingle(target: string): Promise<FileReport[]> {
  const entries = new Map<string, Map<string, unknown>>();
  const report = await checkFile(target, 'bfcl-single', undefined, (row) => {
    if (typeof row.id === 'string') entries.set(row.id, bfclSingleTools(row));
  });
  const answers = path.join(path.dirname(target), 'possible_answer', path.basename(target));
  if (
    !(await fs.stat(answers).then(
      () => true,
      () => false,
    ))
  )
    return [report];
  const seen = new Set<string>();
  const orphans: string[] = [];
  const answerReport = await checkFile(answers, 'bfcl-single-answers', (row) => {
    const tools = typeof row.id === 'string' ? entries.get(row.id) : undefined;
    if (!tools) {
      if (typeof row.id === 'string') orphans.push(row.id);
      return {};
    }
    seen.add(String(row.id));
    return { bfclTools: tools };
  });
  for (const id of entries.keys())
    if (!seen.has(id)) answerReport.problems.push({ line: 0, message: `entry ${id} has no ground truth` });
  for (const id of orphans) answerReport.problems.push({ line: 0, message: `answer ${id} has no entry` });
  return [report, answerReport];
}

const SHOWN = 50;

/**
 * Prints one summary line per file and its problems as FILE:LINE, and a total over several files; returns the
 * number of problems.
 */
export function printValidation(reports: readonly FileReport[]): number {
  let total = 0;
  for (const r of reports) {
    total += r.problems.length;
    const verdict = r.problems.length === 0 ? 'ok' : `${r.problems.length} problem(s)`;
    console.log(`${r.file}: ${r.format}, ${r.rows} row(s), ${verdict}`);
    for (const p of r.problems.slice(0, SHOWN)) console.log(`  ${r.file}:${p.line}: ${p.message}`);
    if (r.problems.length > SHOWN) console.log(`  ... and ${r.problems.length - SHOWN} more`);
  }
  if (reports.length > 1) {
    const rows = reports.reduce((n, r) => n + r.rows, 0);
    const bad = reports.filter((r) => r.problems.length > 0).length;
    const formats = [...new Set(reports.map((r) => r.format))].join(', ');
    console.log(
      `${reports.length} files (${formats}), ${rows} row(s): ${total === 0 ? 'all ok' : `${total} problem(s) in ${bad} file(s)`}`,
    );
  }
  return total;
}
