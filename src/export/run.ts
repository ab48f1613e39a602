import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ConversationRecord } from '../core/conversation';
import type { FunctionDef } from '../core/pool';
import { writeAtomic } from '../io/files';
import { runLayout } from '../io/run-layout';
import { bfclFile, bfclFunctionDoc, bfclProblem, toBfcl, toBfclSingle, type BfclCategory } from './bfcl';
import { toDpoPairs } from './dpo';
import type { ExportFormat } from './formats';
import { CardStats, datasetCard, toHfMessage, toHfRow, type HfDpoRow } from './hf';
import { provenanceOf, toOpenAIChat } from './openai';
import { toOpenAIPreference } from './openai-dpo';
import { shareGptDatasetInfo, toShareGpt } from './sharegpt';
import { chatRows, exportedTools } from './rows';
import { validationSet } from './split';
import { LineFile, provenanceFile, recordFiles, streamRecords } from './stream';
import { dedupRecords, QueryDedup, type DedupCounts } from './dedup';
import { toTrlDpo, toTrlSft } from './trl';

export interface ExportOptions {
  runId: string;
  /** The run's conversations folder. */
  conversations: string;
  pool: ReadonlyMap<string, FunctionDef>;
  formats: readonly ExportFormat[];
  /** Each format gets a folder of its name here. */
  outDir: string;
  /** Share of conversations in the train split, (0, 1]. */
  split: number;
  seed: number;
  license: string;
  /** Leave out turns whose query repeats an earlier one (see dedup.ts); absent: every turn is exported. */
  dedup?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface ExportedFile {
  format: ExportFormat;
  file: string;
  rows: number;
}

export interface ExportResult {
  conversations: number;
  train: number;
  validation: number;
  /** Conversations from the offline backend: placeholders, flagged in every file's provenance. */
  offline: number;
  files: ExportedFile[];
  /** Conversations a format could not hold, with the reason. */
  skipped: { format: ExportFormat; id: string; reason: string }[];
  /** What the removal of repeated queries did, when asked for. */
  duplicates?: DedupCounts;
}

type Side = 'train' | 'validation';

/** A train/validation pair of JSONL files (plus provenance sidecars), each opened on its first line. */
class SplitFiles {
  private readonly open = new Map<string, LineFile>();
  constructor(
    private readonly format: ExportFormat,
    private readonly dir: string,
    /** File name of a side: `${prefix}train.jsonl` for a string. */
    private readonly naming: string | ((side: Side) => string),
    private readonly sidecar: boolean,
  ) {}

  name(side: Side): string {
    return typeof this.naming === 'string' ? `${this.naming}${side}.jsonl` : this.naming(side);
  }

  private async file(name: string): Promise<LineFile> {
    let f = this.open.get(name);
    if (!f) {
      f = await LineFile.open(path.join(this.dir, name));
      this.open.set(name, f);
    }
    return f;
  }

  async write(side: Side, row: unknown, rec: ConversationRecord, turn?: number): Promise<void> {
    const f = await this.file(this.name(side));
    await f.writeJson(row);
    if (this.sidecar) {
      const p = await this.file(path.basename(provenanceFile(this.name(side))));
      await p.writeJson(provenanceOf(rec, f.lines, turn));
    }
  }

  has(side: Side): boolean {
    return this.open.has(this.name(side));
  }

  async close(): Promise<ExportedFile[]> {
    const out: ExportedFile[] = [];
    for (const f of this.open.values())
      out.push({ format: this.format, file: await f.close(), rows: f.lines });
    return out;
  }

  async abort(): Promise<void> {
    for (const f of this.open.values()) await f.abort();
  }
}

interface Writer {
  add(rec: ConversationRecord, side: Side): Promise<void>;
  close(): Promise<ExportedFile[]>;
  abort(): Promise<void>;
}

function pairWriter(
  format: ExportFormat,
  dir: string,
  sft: (rec: ConversationRecord) => unknown,
  pairs?: (rec: ConversationRecord) => { turn: number; example: unknown }[],
  opts: { prefixes?: [string, string]; sidecars?: boolean } = {},
): Writer & { sft: SplitFiles; dpo: SplitFiles } {
  const [sp, dp] = opts.prefixes ?? ['', 'dpo-'];
  const s = new SplitFiles(format, dir, sp, opts.sidecars ?? true);
  const d = new SplitFiles(format, dir, dp, opts.sidecars ?? true);
  return {
    sft: s,
    dpo: d,
    async add(rec, side) {
      // one tool list per row: a conversation whose missing function is later provided is two rows
      for (const row of chatRows(rec)) await s.write(side, sft(row), row);
      if (pairs) for (const p of pairs(rec)) await d.write(side, p.example, rec, p.turn);
    },
    close: async () => [...(await s.close()), ...(await d.close())],
    abort: async () => {
      await s.abort();
      await d.abort();
    },
  };
}

/** Writes every format asked for in one pass over the records, one record in memory at a time. */
export async function exportRecords(opts: ExportOptions): Promise<ExportResult> {
  const files = await recordFiles(opts.conversations);
  const validation = validationSet(files.length, opts.split, opts.seed);
  const pool = opts.pool;
  const dir = (f: ExportFormat): string => path.join(opts.outDir, f);
  const skipped: ExportResult['skipped'] = [];
  const writers: Writer[] = [];
  const after: (() => Promise<ExportedFile[]>)[] = [];
  const formats = new Set(opts.formats);
  // a format's folder is rewritten whole: no file of an earlier export (another split) may linger in it
  for (const f of formats) await fs.rm(dir(f), { recursive: true, force: true });

  if (formats.has('openai')) writers.push(pairWriter('openai', dir('openai'), (r) => toOpenAIChat(r, pool)));
  if (formats.has('openai-dpo')) {
    const openaiDpo = new SplitFiles('openai-dpo', dir('openai-dpo'), '', true);
    writers.push({
      async add(rec, side) {
        for (const p of toOpenAIPreference(rec, pool)) await openaiDpo.write(side, p.example, rec, p.turn);
      },
      close: () => openaiDpo.close(),
      abort: () => openaiDpo.abort(),
    });
  }
  if (formats.has('trl'))
    writers.push(
      pairWriter(
        'trl',
        dir('trl'),
        (r) => toTrlSft(r, pool),
        (r) => toTrlDpo(r, pool),
        { prefixes: ['sft-', 'dpo-'] },
      ),
    );
  if (formats.has('sharegpt')) {
    const w = pairWriter('sharegpt', dir('sharegpt'), (r) => toShareGpt(r, pool));
    writers.push(w);
    after.push(async () => {
      const info: Record<string, unknown> = {};
      for (const side of ['train', 'validation'] as const)
        if (w.sft.has(side))
          Object.assign(info, shareGptDatasetInfo(`magnet_${opts.runId}_${side}`, w.sft.name(side)));
      const file = path.join(dir('sharegpt'), 'dataset_info.json');
      await writeAtomic(file, JSON.stringify(info, null, 2) + '\n');
      return [{ format: 'sharegpt', file, rows: Object.keys(info).length }];
    });
  }
  if (formats.has('hf')) {
    const data = path.join(dir('hf'), 'data');
    const stats = new CardStats();
    const w = pairWriter(
      'hf',
      data,
      (r) => toHfRow(r, pool),
      (r) =>
        toDpoPairs(r, pool).map((p) => {
          const row: HfDpoRow = {
            id: r.id,
            turn: p.metadata.turn,
            prompt: p.prompt.map(toHfMessage),
            chosen: p.chosen.map(toHfMessage),
            rejected: p.rejected.map(toHfMessage),
            tools: JSON.stringify(p.tools),
            errors: p.metadata.errors,
            backend: p.metadata.backend,
          };
          return { turn: p.metadata.turn, example: row };
        }),
      // provenance is in the rows themselves: no sidecars in a folder datasets reads whole
      { sidecars: false },
    );
    writers.push({
      async add(rec, side) {
        stats.add(rec, pool, side === 'validation');
        await w.add(rec, side);
      },
      close: async () => {
        const closed = await w.close();
        const rows = (name: string): number => closed.find((f) => path.basename(f.file) === name)?.rows ?? 0;
        stats.dpoTrain = rows(w.dpo.name('train'));
        stats.dpoValidation = rows(w.dpo.name('validation'));
        return closed;
      },
      abort: () => w.abort(),
    });
    after.push(async () => {
      const rel = (s: { has(x: Side): boolean; name(x: Side): string }, side: Side): string | undefined =>
        s.has(side) ? `data/${s.name(side)}` : undefined;
      const card = datasetCard({
        runId: opts.runId,
        license: opts.license,
        split: opts.split,
        seed: opts.seed,
        stats,
        files: {
          train: rel(w.sft, 'train'),
          validation: rel(w.sft, 'validation'),
          dpoTrain: rel(w.dpo, 'train'),
          dpoValidation: rel(w.dpo, 'validation'),
        },
      });
      const file = path.join(dir('hf'), 'README.md');
      await writeAtomic(file, card);
      return [{ format: 'hf', file, rows: stats.conversations }];
    });
  }
  if (formats.has('bfcl')) {
    // BFCL's file names; its .json files hold JSON lines
    const name = (): string => bfclFile('multi_turn');
    const entries = new SplitFiles('bfcl', dir('bfcl'), name, true);
    const answers = new SplitFiles('bfcl', path.join(dir('bfcl'), 'possible_answer'), name, false);
    const classes = new Map<string, Map<string, FunctionDef>>();
    // BFCL evaluates held-out conversations: with a split, only the validation side becomes entries
    const wanted = (side: Side): boolean => opts.split >= 1 || side === 'validation';
    // single-turn items of the mix: one entries file (and answers file) per BFCL category
    const single = new Map<BfclCategory, { entries: SplitFiles; answers: SplitFiles }>();
    const singleFiles = (cat: BfclCategory): { entries: SplitFiles; answers: SplitFiles } => {
      let f = single.get(cat);
      if (!f) {
        const file = (): string => bfclFile(cat);
        f = {
          entries: new SplitFiles('bfcl', dir('bfcl'), file, true),
          answers: new SplitFiles('bfcl', path.join(dir('bfcl'), 'possible_answer'), file, false),
        };
        single.set(cat, f);
      }
      return f;
    };
    writers.push({
      async add(rec, side) {
        if (!wanted(side)) return;
        const problem = bfclProblem(rec);
        if (problem) {
          skipped.push({ format: 'bfcl', id: rec.id, reason: problem });
          return;
        }
        if (rec.kind !== 'multi_turn') {
          const item = toBfclSingle(rec, pool);
          const f = singleFiles(item.category);
          await f.entries.write('train', item.entry, rec);
          if (item.answer) await f.answers.write('train', item.answer, rec);
          return;
        }
        const { entry, answer } = toBfcl(rec, pool);
        await entries.write('train', entry, rec);
        await answers.write('train', answer, rec);
        for (const name of exportedTools(rec)) {
          const def = pool.get(name);
          if (!def) continue;
          let m = classes.get(def.category);
          if (!m) classes.set(def.category, (m = new Map()));
          m.set(name, def);
        }
      },
      close: async () => {
        const out = [...(await entries.close()), ...(await answers.close())];
        for (const f of single.values()) out.push(...(await f.entries.close()), ...(await f.answers.close()));
        return out;
      },
      abort: async () => {
        await entries.abort();
        await answers.abort();
        for (const f of single.values()) {
          await f.entries.abort();
          await f.answers.abort();
        }
      },
    });
    after.push(async () => {
      const out: ExportedFile[] = [];
      for (const [cls, defs] of [...classes.entries()].sort()) {
        const file = path.join(dir('bfcl'), 'multi_turn_func_doc', `${cls}.json`);
        const lines = [...defs.values()].map((d) => JSON.stringify(bfclFunctionDoc(d)) + '\n');
        await writeAtomic(file, lines.join(''));
        out.push({ format: 'bfcl', file, rows: lines.length });
      }
      return out;
    });
  }

  let done = 0;
  let offline = 0;
  const out: ExportedFile[] = [];
  const dedup = opts.dedup ? new QueryDedup() : undefined;
  try {
    for await (const rec of dedupRecords(streamRecords(files), dedup)) {
      const side: Side = validation.has(done) ? 'validation' : 'train';
      for (const w of writers) await w.add(rec, side);
      if (rec.provenance.backend === 'offline') offline++;
      done++;
      opts.onProgress?.(done, files.length);
    }
    for (const w of writers) out.push(...(await w.close()));
  } catch (e) {
    for (const w of writers) await w.abort().catch(() => undefined);
    throw e;
  }
  for (const f of after) out.push(...(await f()));
  return {
    conversations: files.length,
    train: files.length - validation.size,
    validation: validation.size,
    offline,
    files: out.map((f) => ({ ...f, file: path.resolve(f.file) })),
    skipped,
    ...(dedup ? { duplicates: dedup.counts } : {}),
  };
}

/** Where `magnet export` puts the formats' files unless told otherwise (runLayout's `exports`). */
export function defaultExportDir(runDir: string): string {
  return runLayout(runDir).exports;
}

/** The run's function definitions, saved by the run's export so `magnet export` needs no --pool. */
export function runPoolFile(runDir: string): string {
  return runLayout(runDir).pool;
}
