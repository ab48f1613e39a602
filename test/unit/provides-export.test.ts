import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { validatePath } from '../../src/cli/validate';
import type { ConversationRecord } from '../../src/core/conversation';
import { indexPool, type FunctionDef } from '../../src/core/pool';
import { toBfcl } from '../../src/export/bfcl';
import { QueryDedup } from '../../src/export/dedup';
import { toDpoPairs } from '../../src/export/dpo';
import { EXPORT_FORMATS } from '../../src/export/formats';
import { toOpenAIChat } from '../../src/export/openai';
import { chatRows, withTurns } from '../../src/export/rows';
import { exportRecords, type ExportResult } from '../../src/export/run';
import { syntheticProvidedRecord, syntheticRecord } from '../../src/export/synthetic';
import { checkRow } from '../../src/export/validate';
import { loadPool } from '../../src/tools/pool-loader';

/**
 * A conversation whose miss_func turn is followed by the turn that provides the missing function
 * (ops.provideFuncProb): exports never offer the function beside the turn that says it is missing.
 */
const EXAMPLE_POOL = path.join(__dirname, '..', '..', 'examples', 'pool');
const jsonl = (file: string): Record<string, unknown>[] =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const names = (tools: unknown): string[] =>
  (tools as { function: { name: string } }[]).map((t) => t.function.name).sort();

let functions: FunctionDef[];
let pool: Map<string, FunctionDef>;
beforeAll(async () => {
  functions = (await loadPool([EXAMPLE_POOL])).functions;
  pool = indexPool({ functions });
});

function pairOf(rec: ConversationRecord): { m: number; p: number; fn: string } {
  const m = rec.turns.findIndex((t) => t.labels.includes('miss_func'));
  const p = rec.turns.findIndex((t) => t.labels.includes('provides_function'));
  return { m, p, fn: rec.turns[p]?.adds?.[0] as string };
}

describe('chat rows', () => {
  it('(A) up to the miss_func turn with the tools offered then, (B) the rest with the tools at the end', () => {
    for (let i = 0; i < 20; i++) {
      const rec = syntheticProvidedRecord(functions, i);
      const { m, p, fn } = pairOf(rec);
      expect(p).toBe(m + 1);
      expect(m).toBeGreaterThanOrEqual(0);
      const [a, b, ...more] = chatRows(rec);
      expect(more).toEqual([]);
      expect(a?.turns.map((t) => t.index)).toEqual(rec.turns.slice(0, m + 1).map((t) => t.index));
      expect(a?.tools).not.toContain(fn);
      expect(a?.tools).toEqual(rec.tools.filter((n) => n !== fn));
      expect(a?.stats.turns).toBe(m + 1);
      expect(b?.turns.map((t) => t.index)).toEqual(rec.turns.filter((_, k) => k !== m).map((t) => t.index));
      expect(b?.tools).toEqual(rec.tools);
      // every row offers exactly what its turns may call
      for (const row of [a, b] as ConversationRecord[])
        for (const c of row.turns.flatMap((t) => t.calls)) expect(row.tools).toContain(c.name);
    }
  });

  it('a record without a providing turn is one row, the record itself', () => {
    const rec = syntheticRecord(functions, 3);
    expect(chatRows(rec)).toEqual([rec]);
    expect(chatRows(rec)[0]).toBe(rec);
  });

  it('either turn of the pair removed (quality filter, dedup): one row, offering the function only with its turn', () => {
    const rec = syntheticProvidedRecord(functions, 4);
    const { m, p, fn } = pairOf(rec);
    const noProvider = withTurns(
      rec,
      rec.turns.filter((t) => t.index !== p),
    );
    const rows1 = chatRows(noProvider);
    expect(rows1).toHaveLength(1);
    expect(rows1[0]?.tools).not.toContain(fn);
    expect(toBfcl(noProvider, pool).entry.missed_function).toEqual({});
    const noAsk = withTurns(
      rec,
      rec.turns.filter((t) => t.index !== m),
    );
    const rows2 = chatRows(noAsk);
    expect(rows2).toHaveLength(1);
    expect(rows2[0]?.tools).toContain(fn);
    const bfcl = toBfcl(noAsk, pool).entry;
    expect(bfcl.missed_function).toEqual({});
    expect(bfcl.question.every((q) => q.length === 1)).toBe(true);
    // dedup: the providing turn's query was exported before, so the turn leaves and takes the function along
    const dedup = new QueryDedup();
    dedup.apply(withTurns(rec, [rec.turns[p] as ConversationRecord['turns'][number]]));
    const deduped = dedup.apply(rec) as ConversationRecord;
    expect(deduped.turns.map((t) => t.index)).not.toContain(p);
    expect(chatRows(deduped).map((r) => r.tools.includes(fn))).toEqual([false]);
    const openai = toOpenAIChat(chatRows(deduped)[0] as ConversationRecord, pool);
    expect(names(openai.tools)).not.toContain(fn);
  });

  it('DPO pairs offer the tools of their own turn', () => {
    const rec = syntheticProvidedRecord(functions, 5);
    const { p, fn } = pairOf(rec);
    const pairs = toDpoPairs(rec, pool);
    expect(pairs.some((x) => x.metadata.turn === p)).toBe(true);
    for (const x of pairs) expect(names(x.tools).includes(fn)).toBe(x.metadata.turn >= p);
  });
});

describe('an export with provided functions', () => {
  let dir: string;
  let result: ExportResult;
  const provided = [0, 1, 2, 3, 4, 5];
  const plain = [6, 7, 8];
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'magnet-provides-'));
    mkdirSync(path.join(dir, 'conversations'));
    for (const i of [...provided, ...plain]) {
      const rec = provided.includes(i)
        ? syntheticProvidedRecord(functions, i, 'syn')
        : syntheticRecord(functions, i, 'syn');
      writeFileSync(
        path.join(dir, 'conversations', `conv-${String(i).padStart(5, '0')}.json`),
        JSON.stringify(rec),
      );
    }
    result = await exportRecords({
      runId: 'syn',
      conversations: path.join(dir, 'conversations'),
      pool,
      formats: EXPORT_FORMATS,
      outDir: path.join(dir, 'export'),
      split: 1,
      seed: 3,
      license: 'cc-by-4.0',
    });
  });

  it('writes two rows per such conversation in every chat format, and no row offers a declined tool', () => {
    const rows = provided.length * 2 + plain.length;
    const files = {
      openai: 'openai/train.jsonl',
      trl: 'trl/sft-train.jsonl',
      sharegpt: 'sharegpt/train.jsonl',
      hf: 'hf/data/train.jsonl',
    };
    for (const f of Object.values(files)) expect(jsonl(path.join(dir, 'export', f))).toHaveLength(rows);
    const declined = new Map(
      provided.map((i) => {
        const rec = syntheticProvidedRecord(functions, i, 'syn');
        const { m, fn } = pairOf(rec);
        return [rec.turns[m]?.query as string, fn];
      }),
    );
    let seen = 0;
    for (const row of jsonl(path.join(dir, 'export', files.openai))) {
      const offered = names(row.tools);
      for (const msg of row.messages as { role: string; content: string }[]) {
        const fn = msg.role === 'user' ? declined.get(msg.content) : undefined;
        if (fn === undefined) continue;
        seen++;
        expect(offered).not.toContain(fn);
      }
    }
    expect(seen).toBe(provided.length);
  });

  it('BFCL entries hold the function back until the providing turn, whose question is empty', () => {
    const entries = jsonl(path.join(dir, 'export', 'bfcl', 'BFCL_v3_multi_turn_magnet.json'));
    const answers = jsonl(
      path.join(dir, 'export', 'bfcl', 'possible_answer', 'BFCL_v3_multi_turn_magnet.json'),
    );
    for (const i of [...provided, ...plain]) {
      const rec = syntheticProvidedRecord(functions, i, 'syn');
      const e = entries.find((x) => x.id === `multi_turn_magnet_${i}`) as Record<string, unknown>;
      const gt = answers.find((x) => x.id === e.id)?.ground_truth as string[][];
      if (plain.includes(i)) {
        expect(e.missed_function).toEqual({});
        continue;
      }
      const { m, p, fn } = pairOf(rec);
      expect(e.missed_function).toEqual({ [String(p)]: [fn] });
      expect((e.question as unknown[][])[p]).toEqual([]);
      expect((e.question as unknown[][])[m]).toEqual([{ role: 'user', content: rec.turns[m]?.query }]);
      expect(gt[m]).toEqual([]);
      expect(gt[p]?.[0]?.startsWith(`${fn}(`)).toBe(true);
      // its class is involved, and its doc is among the class's functions
      const cls = pool.get(fn)?.category as string;
      expect(e.involved_classes).toContain(cls);
      const doc = jsonl(path.join(dir, 'export', 'bfcl', 'multi_turn_func_doc', `${cls}.json`));
      expect(doc.map((d) => d.name)).toContain(fn);
    }
  });

  it('passes magnet validate on every file it wrote: 0 invalid calls', async () => {
    const data = result.files.filter(
      (f) =>
        /\.json(l)?$/.test(f.file) &&
        !/provenance|dataset_info|func_doc|possible_answer/.test(f.file) &&
        !f.file.includes(`${path.sep}hf${path.sep}`),
    );
    expect(data.length).toBeGreaterThanOrEqual(6);
    for (const f of data)
      for (const r of await validatePath(f.file))
        expect({ file: r.file, problems: r.problems.slice(0, 3) }).toEqual({ file: r.file, problems: [] });
    const hf = await validatePath(path.join(dir, 'export', 'hf'));
    expect(hf.map((r) => r.problems)).toEqual(hf.map(() => []));
  });
});

describe('validate: a held-out function is not offered before its turn', () => {
  it('flags a ground-truth call of a missed function before the turn that adds it', () => {
    const tools = new Map<string, unknown>([['add', { type: 'object', properties: {} }]]);
    const missed = new Map([[1, ['add']]]);
    const ok = checkRow(
      'bfcl-answers',
      { id: 'x', ground_truth: [[], ['add()']] },
      { bfclTools: tools, bfclTurns: 2, bfclMissed: missed },
    );
    expect(ok).toEqual([]);
    const early = checkRow(
      'bfcl-answers',
      { id: 'x', ground_truth: [['add()'], []] },
      { bfclTools: tools, bfclTurns: 2, bfclMissed: missed },
    );
    expect(early).toEqual(['ground_truth[0][0]: calls add, which is not among the offered tools']);
    const unknown = checkRow(
      'bfcl-answers',
      { id: 'x', ground_truth: [[], []] },
      { bfclTools: tools, bfclTurns: 2, bfclMissed: new Map([[1, ['sub']]]) },
    );
    expect(unknown).toEqual(["missed_function[1]: sub is not a function of the entry's classes"]);
    const entry = {
      id: 'x',
      question: [[], []],
      initial_config: {},
      path: [],
      involved_classes: [],
      missed_function: { '5': ['add'] },
    };
    expect(checkRow('bfcl', entry)).toEqual(['missed_function key 5 is not a turn of the question (0-1)']);
  });
});
