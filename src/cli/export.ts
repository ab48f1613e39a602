import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { indexPool, StoredPool, type FunctionDef } from '../core/pool';
import { EXPORT_FORMATS, type ExportFormat } from '../export/formats';
import { exportRecords, type ExportedFile, type ExportResult } from '../export/run';
import { ConfigError } from '../io/config-file';
import { readJson } from '../io/files';
import { dataDir } from '../io/paths';
import { loadPool } from '../tools/pool-loader';
import { resolvePoolPath } from '../io/pool-paths';
import { homeLayout, runDirCandidates, runLayout } from '../io/run-layout';

/** A run folder given as a path, or a run id under $MAGNET_HOME/runs. */
async function runDirOf(run: string): Promise<string> {
  for (const dir of runDirCandidates(homeLayout(dataDir()), run)) {
    const ok = await fs.stat(runLayout(dir).conversations).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (ok) return dir;
  }
  throw new ConfigError(
    `${run}: no run folder with conversations (a run id under $MAGNET_HOME/runs, or a path)`,
  );
}

async function poolOf(
  runDir: string,
  poolPaths: readonly string[] | undefined,
): Promise<Map<string, FunctionDef>> {
  if (poolPaths && poolPaths.length > 0)
    return indexPool(await loadPool(poolPaths.map((p) => resolvePoolPath(p))));
  const file = runLayout(runDir).pool;
  const raw = await readJson(file).catch(() => undefined);
  if (raw === undefined)
    throw new ConfigError(`${file} is missing (the run has not exported yet): name the pool with --pool`);
  const parsed = StoredPool.safeParse(raw);
  if (!parsed.success)
    throw new ConfigError(`${file}: not a magnet pool (${parsed.error.issues[0]?.message})`);
  return indexPool(parsed.data);
}

export function parseFormats(values: readonly string[]): ExportFormat[] {
  const out = new Set<ExportFormat>();
  for (const v of values.flatMap((x) => x.split(','))) {
    if (v === 'all') EXPORT_FORMATS.forEach((f) => out.add(f));
    else if ((EXPORT_FORMATS as readonly string[]).includes(v)) out.add(v as ExportFormat);
    else throw new ConfigError(`--format ${v}: expected one of ${EXPORT_FORMATS.join(', ')} or all`);
  }
  return [...out];
}

/**
 * Whether the run left repeated queries out of its own exports (its report says), so a re-export without
 * --dedup / --no-dedup matches them; on, as the config's default, when the run has no report yet.
 */
async function runDedup(runDir: string): Promise<boolean> {
  const report = (await readJson(runLayout(runDir).report).catch(() => undefined)) as
    { duplicates?: { applied?: unknown } } | undefined;
  const applied = report?.duplicates?.applied;
  return typeof applied === 'boolean' ? applied : true;
}

/** `magnet export`'s options, as the command line gives them. */
export interface ExportRunOptions {
  format: string[];
  split: number;
  out?: string;
  pool?: string[];
  seed: number;
  license: string;
  dedup?: boolean;
}

export async function exportRun(run: string, opts: ExportRunOptions): Promise<ExportResult> {
  if (!(opts.split > 0 && opts.split <= 1))
    throw new ConfigError(`--split ${opts.split}: expected a share in (0, 1]`);
  const runDir = await runDirOf(run);
  const pool = await poolOf(runDir, opts.pool);
  const outDir = path.resolve(opts.out ?? runLayout(runDir).exports);
  const result = await exportRecords({
    runId: path.basename(runDir),
    conversations: runLayout(runDir).conversations,
    pool,
    formats: parseFormats(opts.format),
    outDir,
    split: opts.split,
    seed: opts.seed,
    license: opts.license,
    dedup: opts.dedup ?? (await runDedup(runDir)),
  });
  printExport(result, outDir);
  return result;
}

/** What a file holds, in its own unit: rows of data, datasets of an index, the card of a folder. */
function fileLine(f: ExportedFile, outDir: string): string {
  const name = path.relative(outDir, f.file) || f.file;
  const base = path.basename(f.file);
  if (base === 'dataset_info.json') return `${name}\t${f.rows} dataset(s)`;
  if (base === 'README.md') return `${name}\tthe card of ${f.rows} conversation(s)`;
  return `${name}\t${f.rows} row(s)`;
}

function printExport(r: ExportResult, outDir: string): void {
  console.log(
    `exported ${r.conversations} conversation(s) (train ${r.train}, validation ${r.validation}) to ${outDir}`,
  );
  const data = r.files.filter((f) => !f.file.endsWith('.provenance.jsonl'));
  for (const f of data) console.log(`  ${f.format}\t${fileLine(f, outDir)}`);
  if (data.length < r.files.length)
    console.log('  beside each data file: <name>.provenance.jsonl, one line of provenance per row');
  for (const s of r.skipped) console.log(`  skipped in ${s.format}: ${s.id}: ${s.reason}`);
  if (r.duplicates && r.duplicates.turns + r.duplicates.conversations > 0)
    console.log(
      `  left out ${r.duplicates.turns} turn(s) repeating an earlier query, ${r.duplicates.dependents} depending on them, ${r.duplicates.conversations} conversation(s) whole`,
    );
  for (const n of r.notes)
    console.log(`${n.level === 'warning' ? 'warning' : 'note'}: ${n.format}: ${n.message}`);
  if (r.offline > 0)
    console.log(
      `warning: ${r.offline} conversation(s) come from the offline backend: placeholder text, not training data (each file's provenance says so)`,
    );
}

/** `--split`: a share of the conversations, in (0, 1]. */
export const shareOf = z
  .string()
  .regex(/^(0?\.\d+|1(\.0*)?|0\.\d*[1-9]\d*)$/, 'expected a share in (0, 1], e.g. 0.95')
  .transform(Number)
  .refine((n) => n > 0 && n <= 1, 'expected a share in (0, 1], e.g. 0.95');
