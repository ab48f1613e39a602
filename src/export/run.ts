import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ConversationRecord } from '../core/conversation';
import type { FunctionDef } from '../core/pool';
import { writeAtomic } from '../io/files';
import { bfclFile, bfclFunctionDoc, bfclProblem, toBfcl, toBfclSingle, type BfclCategory } from './bfcl';
import { toDpoPairs } from './dpo';
import { EXPORT_FORMATS, type ExportFormat } from './formats';
import { CardStats, datasetCard, toHfMessage, toHfRow, type HfDpoRow } from './hf';
import { provenanceOf, toOpenAIChat } from './openai';
import { toOpenAIPreference } from './openai-dpo';
import { shareGptDatasetInfo, toShareGpt } from './sharegpt';
import { chatRows, exportedTools } from './rows';
import { validationSet } from './split';
import { LineFile, provenanceFile, recordFiles, streamRecords } from './stream';
import { dedupRecords, QueryDedup, type DedupCounts } from './dedup';
import { bfclNote, dpoNotes, DpoCensus, type ExportNote } from './notes';
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
  /** Why a format wrote nothing (or no DPO file), and what share of the run BFCL holds. */
  notes: ExportNote[];
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
  const skipped: ExportResult['skipped'] = [];
  const formats = new Set(opts.formats);
  // a format's folder is rewritten whole: no file of an earlier export (another split) may linger in it
  for (const f of formats) await fs.rm(path.join(opts.outDir, f), { recursive: true, force: true });
  // in EXPORT_FORMATS' order, which is the order of the result's files
  const parts = EXPORT_FORMATS.filter((f) => formats.has(f)).map((f) =>
    FORMATS[f]({ opts, pool: opts.pool, dir: path.join(opts.outDir, f), skipped }),
  );
  const dedup = opts.dedup ? new QueryDedup() : undefined;
  const pass = await writeRecords(dedupRecords(streamRecords(files), dedup), parts, {
    validation,
    total: files.length,
    onProgress: opts.onProgress,
  });
  for (const p of parts) if (p.after) pass.files.push(...(await p.after()));
  const counts = {
    conversations: files.length,
    train: files.length - validation.size,
    validation: validation.size,
  };
  return {
    ...counts,
    offline: pass.census.offline,
    files: pass.files.map((f) => ({ ...f, file: path.resolve(f.file) })),
    skipped,
    ...(dedup ? { duplicates: dedup.counts } : {}),
    notes: exportNotes(formats, pass, { ...counts, train: opts.split }, skipped),
  };
}

/** The notes of an export: DPO formats without pairs, formats with nothing at all, BFCL's share. */
function exportNotes(
  formats: ReadonlySet<ExportFormat>,
  pass: { files: ExportedFile[]; census: DpoCensus },
  split: { train: number; conversations: number; validation: number },
  skipped: ExportResult['skipped'],
): ExportNote[] {
  const base = (f: ExportedFile): string => path.basename(f.file);
  const wrote = (format: ExportFormat, test: (f: ExportedFile) => boolean = () => true): boolean =>
    pass.files.some((f) => f.format === format && test(f));
  if (pass.census.records === 0)
    return EXPORT_FORMATS.filter((f) => formats.has(f)).map((format) => ({
      format,
      level: 'warning',
      message: 'nothing written: the run has no conversations',
    }));
  const notes = dpoNotes(
    formats,
    (format) => (format === 'openai-dpo' ? wrote(format) : wrote(format, (f) => base(f).startsWith('dpo-'))),
    pass.census,
  );
  if (formats.has('bfcl')) {
    const entries = pass.files
      .filter(
        (f) =>
          f.format === 'bfcl' &&
          /^BFCL_.*\.json$/.test(base(f)) &&
          path.basename(path.dirname(f.file)) !== 'possible_answer',
      )
      .reduce((n, f) => n + f.rows, 0);
    const note = bfclNote(entries, split, skipped.filter((s) => s.format === 'bfcl').length);
    if (note) notes.push(note);
  }
  return notes;
}

/**
 * The one pass: every record to every format's writer, on its side of the split. A failure aborts every
 * writer, so a failed export leaves no half-written file behind.
 */
async function writeRecords(
  records: AsyncIterable<ConversationRecord>,
  parts: readonly FormatExport[],
  split: { validation: ReadonlySet<number>; total: number; onProgress: ExportOptions['onProgress'] },
): Promise<{ files: ExportedFile[]; census: DpoCensus }> {
  const writers = parts.map((p) => p.writer);
  let done = 0;
  const census = new DpoCensus();
  const files: ExportedFile[] = [];
  try {
    for await (const rec of records) {
      const side: Side = split.validation.has(done) ? 'validation' : 'train';
      for (const w of writers) await w.add(rec, side);
      census.add(rec);
      done++;
      split.onProgress?.(done, split.total);
    }
    for (const w of writers) files.push(...(await w.close()));
  } catch (e) {
    for (const w of writers) await w.abort().catch(() => undefined);
    throw e;
  }
  return { files, census };
}

/** A format's part of the export: its writer, and the files it writes once the pass is over. */
interface FormatExport {
  writer: Writer;
  /** Files made from what the pass saw (a card, an index of the files, function docs). */
  after?: () => Promise<ExportedFile[]>;
}

/** What a format's export is given. */
interface FormatContext {
  opts: ExportOptions;
  pool: ReadonlyMap<string, FunctionDef>;
  /** The format's own folder. */
  dir: string;
  /** Conversations a format could not hold, with the reason (one list for every format). */
  skipped: ExportResult['skipped'];
}

/** Each format's export; typed by ExportFormat, so a new format does not compile without one. */
const FORMATS: Record<ExportFormat, (ctx: FormatContext) => FormatExport> = {
  openai: ({ pool, dir }) => ({ writer: pairWriter('openai', dir, (r) => toOpenAIChat(r, pool)) }),
  'openai-dpo': openAiDpoExport,
  trl: ({ pool, dir }) => ({
    writer: pairWriter(
      'trl',
      dir,
      (r) => toTrlSft(r, pool),
      (r) => toTrlDpo(r, pool),
      { prefixes: ['sft-', 'dpo-'] },
    ),
  }),
  sharegpt: shareGptExport,
  hf: hfExport,
  bfcl: (ctx) => {
    const bfcl = new BfclWriter(ctx);
    return { writer: bfcl, after: () => bfcl.writeFunctionDocs() };
  },
};

function openAiDpoExport({ pool, dir }: FormatContext): FormatExport {
  const files = new SplitFiles('openai-dpo', dir, '', true);
  return {
    writer: {
      async add(rec, side) {
        for (const p of toOpenAIPreference(rec, pool)) await files.write(side, p.example, rec, p.turn);
      },
      close: () => files.close(),
      abort: () => files.abort(),
    },
  };
}

/** ShareGPT rows and LLaMA-Factory's dataset_info.json, which names a dataset per side the pass wrote. */
function shareGptExport({ opts, pool, dir }: FormatContext): FormatExport {
  const w = pairWriter('sharegpt', dir, (r) => toShareGpt(r, pool));
  const after = async (): Promise<ExportedFile[]> => {
    const info: Record<string, unknown> = {};
    for (const side of ['train', 'validation'] as const)
      if (w.sft.has(side))
        Object.assign(info, shareGptDatasetInfo(`magnet_${opts.runId}_${side}`, w.sft.name(side)));
    const file = path.join(dir, 'dataset_info.json');
    await writeAtomic(file, JSON.stringify(info, null, 2) + '\n');
    return [{ format: 'sharegpt', file, rows: Object.keys(info).length }];
  };
  return { writer: w, after };
}

/**
 * The hf folder: rows and mDPO pairs under data/, and the README.md card, whose counts are gathered in the
 * same pass (one read of the records) and whose DPO row counts are known once the files are closed.
 */
function hfExport({ opts, pool, dir }: FormatContext): FormatExport {
  const stats = new CardStats();
  const w = pairWriter(
    'hf',
    path.join(dir, 'data'),
    (r) => toHfRow(r, pool),
    (r) => hfDpoPairs(r, pool),
    // provenance is in the rows themselves: no sidecars in a folder datasets reads whole
    { sidecars: false },
  );
  const writer: Writer = {
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
  };
  return { writer, after: () => writeHfCard(opts, dir, stats, w) };
}

/** The hf dpo config's rows: messages in the hf shape, tools as JSON text (Arrow needs one type a column). */
function hfDpoPairs(
  r: ConversationRecord,
  pool: ReadonlyMap<string, FunctionDef>,
): { turn: number; example: HfDpoRow }[] {
  return toDpoPairs(r, pool).map((p) => {
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
  });
}

/** The card names only the data files the pass opened: a side without rows has no file. */
async function writeHfCard(
  opts: ExportOptions,
  dir: string,
  stats: CardStats,
  files: { sft: SplitFiles; dpo: SplitFiles },
): Promise<ExportedFile[]> {
  const rel = (s: SplitFiles, side: Side): string | undefined =>
    s.has(side) ? `data/${s.name(side)}` : undefined;
  const card = datasetCard({
    runId: opts.runId,
    license: opts.license,
    split: opts.split,
    seed: opts.seed,
    stats,
    files: {
      train: rel(files.sft, 'train'),
      validation: rel(files.sft, 'validation'),
      dpoTrain: rel(files.dpo, 'train'),
      dpoValidation: rel(files.dpo, 'validation'),
    },
  });
  const file = path.join(dir, 'README.md');
  await writeAtomic(file, card);
  return [{ format: 'hf', file, rows: stats.conversations }];
}

/** A BFCL entries file and its possible-answer file (BFCL's names; its .json files hold JSON lines). */
interface BfclFiles {
  entries: SplitFiles;
  answers: SplitFiles;
}

function bfclFiles(dir: string, category: BfclCategory): BfclFiles {
  // one file whatever the side: BFCL has no split, the writer says which side becomes entries
  const file = (): string => bfclFile(category);
  return {
    entries: new SplitFiles('bfcl', dir, file, true),
    answers: new SplitFiles('bfcl', path.join(dir, 'possible_answer'), file, false),
  };
}

/**
 * BFCL's files: multi-turn entries and answers, a pair of files per category for the mix's single-turn
 * items, and after the pass the function docs of the classes the multi-turn entries use.
 */
class BfclWriter implements Writer {
  private readonly multiTurn: BfclFiles;
  /** Single-turn items of the mix: one entries file (and answers file) per BFCL category. */
  private readonly single = new Map<BfclCategory, BfclFiles>();
  /** The functions multi-turn entries offer, by class: BFCL reads a function-doc file per class. */
  private readonly classes = new Map<string, Map<string, FunctionDef>>();

  constructor(private readonly ctx: FormatContext) {
    this.multiTurn = bfclFiles(ctx.dir, 'multi_turn');
  }

  async add(rec: ConversationRecord, side: Side): Promise<void> {
    if (!this.wanted(side)) return;
    const problem = bfclProblem(rec, this.ctx.pool);
    if (problem) {
      this.ctx.skipped.push({ format: 'bfcl', id: rec.id, reason: problem });
      return;
    }
    if (rec.kind !== 'multi_turn') return this.addSingleTurn(rec);
    const { entry, answer } = toBfcl(rec, this.ctx.pool);
    await this.multiTurn.entries.write('train', entry, rec);
    await this.multiTurn.answers.write('train', answer, rec);
    for (const name of exportedTools(rec)) {
      const def = this.ctx.pool.get(name);
      if (!def) continue;
      let m = this.classes.get(def.category);
      if (!m) this.classes.set(def.category, (m = new Map()));
      m.set(name, def);
    }
  }

  /** BFCL evaluates held-out conversations: with a split, only the validation side becomes entries. */
  private wanted(side: Side): boolean {
    return this.ctx.opts.split >= 1 || side === 'validation';
  }

  private async addSingleTurn(rec: ConversationRecord): Promise<void> {
    const item = toBfclSingle(rec, this.ctx.pool);
    let f = this.single.get(item.category);
    if (!f) this.single.set(item.category, (f = bfclFiles(this.ctx.dir, item.category)));
    await f.entries.write('train', item.entry, rec);
    if (item.answer) await f.answers.write('train', item.answer, rec);
  }

  async close(): Promise<ExportedFile[]> {
    const out = [...(await this.multiTurn.entries.close()), ...(await this.multiTurn.answers.close())];
    for (const f of this.single.values())
      out.push(...(await f.entries.close()), ...(await f.answers.close()));
    return out;
  }

  async abort(): Promise<void> {
    for (const f of [this.multiTurn, ...this.single.values()]) {
      await f.entries.abort();
      await f.answers.abort();
    }
  }

  async writeFunctionDocs(): Promise<ExportedFile[]> {
    const out: ExportedFile[] = [];
    for (const [cls, defs] of [...this.classes.entries()].sort()) {
      const file = path.join(this.ctx.dir, 'multi_turn_func_doc', `${cls}.json`);
      const lines = [...defs.values()].map((d) => JSON.stringify(bfclFunctionDoc(d)) + '\n');
      await writeAtomic(file, lines.join(''));
      out.push({ format: 'bfcl', file, rows: lines.length });
    }
    return out;
  }
}
