import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { MockActivityEnvironment } from '@temporalio/testing';
import { exportRunActivity } from '../../src/activities/export';
import { EXPORT_FORMATS, type ExportFormat } from '../../src/export/formats';
import { parsePyCall } from '../../src/export/pyparse';
import { pyCall, pyLiteral } from '../../src/export/pyrepr';
import { exportRecords, type ExportResult } from '../../src/export/run';
import { toBfclSingle } from '../../src/export/bfcl';
import { bfclSingleTools, checkRow } from '../../src/export/validate';
import type { ConversationRecord } from '../../src/core/conversation';
import { validationSet } from '../../src/export/split';
import { printValidation, validatePath } from '../../src/cli/validate';
import { putJson } from '../../src/io/artifacts';
import { syntheticRun } from '../helpers/export-run';
import { type RunSummary } from '../../src/contracts';

const jsonl = (file: string): Record<string, unknown>[] =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('magnet export: every format from one run', () => {
  let dir: string;
  let result: ExportResult;
  beforeAll(async () => {
    const run = await syntheticRun(60);
    dir = run.dir;
    result = await exportRecords({
      runId: 'syn',
      conversations: path.join(dir, 'conversations'),
      pool: run.pool,
      formats: EXPORT_FORMATS,
      outDir: path.join(dir, 'export'),
      split: 0.8,
      seed: 3,
      license: 'cc-by-4.0',
    });
  });

  it('splits whole conversations, seeded, and writes every format', () => {
    expect(result.conversations).toBe(60);
    expect(result.validation).toBe(12);
    expect(result.train).toBe(48);
    const formats = new Set(result.files.map((f) => f.format));
    expect([...formats].sort()).toEqual([...EXPORT_FORMATS].sort());
    expect(validationSet(60, 0.8, 3)).toEqual(validationSet(60, 0.8, 3));
    expect(validationSet(60, 0.8, 3)).not.toEqual(validationSet(60, 0.8, 4));
    expect(validationSet(5, 1, 3).size).toBe(0);
    expect(validationSet(2, 0.99, 3).size).toBe(1);
  });

  it('passes magnet validate on every file it wrote', async () => {
    const data = result.files.filter(
      (f) => /\.json(l)?$/.test(f.file) && !/provenance|dataset_info|func_doc/.test(f.file),
    );
    expect(data.length).toBeGreaterThanOrEqual(10);
    for (const f of data) {
      if (f.file.includes('possible_answer')) continue;
      const reports = await validatePath(f.file);
      for (const r of reports)
        expect({ file: r.file, problems: r.problems.slice(0, 3) }).toEqual({ file: r.file, problems: [] });
    }
    const hf = await validatePath(path.join(dir, 'export', 'hf'));
    expect(hf.map((r) => r.problems)).toEqual(hf.map(() => []));
    // the BFCL entries were checked with their ground truth and function docs
    const bfcl = await validatePath(path.join(dir, 'export', 'bfcl', 'BFCL_v3_multi_turn_magnet.json'));
    expect(bfcl.map((r) => r.format)).toEqual(['bfcl', 'bfcl-answers']);
  });

  it('magnet validate on the export folder checks every data file of every format and sums up', async () => {
    const reports = await validatePath(path.join(dir, 'export'));
    const data = result.files.filter(
      (f) => !/provenance|dataset_info|func_doc|possible_answer|README/.test(f.file),
    );
    // each data file once, and each BFCL entries file with its possible answers
    expect(
      reports
        .map((r) => r.file)
        .filter((f) => !f.includes('possible_answer'))
        .sort(),
    ).toEqual(data.map((f) => f.file).sort());
    expect(new Set(reports.map((r) => r.format))).toEqual(
      new Set(['openai', 'openai-dpo', 'trl', 'trl-dpo', 'sharegpt', 'hf', 'bfcl', 'bfcl-answers']),
    );
    expect(reports.flatMap((r) => r.problems)).toEqual([]);
    const lines: string[] = [];
    const log = jest.spyOn(console, 'log').mockImplementation((l: string) => void lines.push(l));
    try {
      expect(printValidation(reports)).toBe(0);
    } finally {
      log.mockRestore();
    }
    expect(lines.at(-1)).toMatch(new RegExp(`^${reports.length} files \\(.*\\), \\d+ row\\(s\\): all ok$`));
    // one format's folder alone, too
    const trl = await validatePath(path.join(dir, 'export', 'trl'));
    expect(trl.map((r) => r.format).sort()).toEqual(['trl', 'trl', 'trl-dpo', 'trl-dpo']);
  });

  it('OpenAI lines hold only messages, tools and parallel_tool_calls; provenance is in the sidecar by line', () => {
    const file = path.join(dir, 'export', 'openai', 'train.jsonl');
    const rows = jsonl(file);
    for (const r of rows) expect(Object.keys(r).sort()).toEqual(['messages', 'parallel_tool_calls', 'tools']);
    const prov = jsonl(path.join(dir, 'export', 'openai', 'train.provenance.jsonl'));
    expect(prov.map((p) => p.line)).toEqual(rows.map((_, i) => i + 1));
    const offline = prov.filter((p) => p.backend === 'offline');
    expect(offline.length).toBeGreaterThan(0);
    for (const p of offline) expect(p.note).toMatch(/not training data/);
    expect(rows.some((r) => r.parallel_tool_calls === true)).toBe(true);
  });

  it('TRL files carry arguments as objects and tools as schemas; DPO pairs continue their prompt', () => {
    const sft = jsonl(path.join(dir, 'export', 'trl', 'sft-train.jsonl'));
    const call = sft
      .flatMap((r) => r.messages as { tool_calls?: { function: { arguments: unknown } }[] }[])
      .find((m) => m.tool_calls)?.tool_calls?.[0];
    expect(typeof call?.function.arguments).toBe('object');
    const dpo = jsonl(path.join(dir, 'export', 'trl', 'dpo-train.jsonl'));
    expect(dpo.length).toBeGreaterThan(0);
    for (const p of dpo) expect(Object.keys(p).sort()).toEqual(['chosen', 'prompt', 'rejected', 'tools']);
  });

  it("ShareGPT follows LLaMA-Factory's positions and comes with its dataset_info.json entry", () => {
    const rows = jsonl(path.join(dir, 'export', 'sharegpt', 'train.jsonl'));
    for (const r of rows) {
      const conv = r.conversations as { from: string }[];
      expect(conv.length % 2).toBe(0);
      conv.forEach((m, i) =>
        expect(i % 2 === 0 ? ['human', 'observation'] : ['gpt', 'function_call']).toContain(m.from),
      );
      expect(typeof r.tools).toBe('string');
    }
    const parallel = rows
      .flatMap((r) => r.conversations as { from: string; value: string }[])
      .find((m) => m.from === 'function_call' && m.value.startsWith('['));
    expect(parallel).toBeDefined();
    const info = JSON.parse(readFileSync(path.join(dir, 'export', 'sharegpt', 'dataset_info.json'), 'utf8'));
    expect(info.magnet_syn_train).toMatchObject({
      file_name: 'train.jsonl',
      formatting: 'sharegpt',
      columns: { messages: 'conversations', tools: 'tools' },
      tags: { function_tag: 'function_call', observation_tag: 'observation' },
    });
  });

  it('the hf card states counts, op rates, models, provenance and the licence', () => {
    const card = readFileSync(path.join(dir, 'export', 'hf', 'README.md'), 'utf8');
    expect(card).toMatch(/^---\nlicense: cc-by-4.0\n/);
    expect(card).toContain('| conversations | 60 |');
    expect(card).toContain('| validation | 12 |');
    expect(card).toMatch(/\| miss_func \| \d+ \(\d+\.\d% of turns\) \|/);
    expect(card).toContain('teacher: gpt-4o-mini');
    expect(card).toContain('**Not training data.**');
    expect(card).toContain('config_name: dpo');
    expect(readdirSync(path.join(dir, 'export', 'hf', 'data')).sort()).toEqual([
      'dpo-train.jsonl',
      'dpo-validation.jsonl',
      'train.jsonl',
      'validation.jsonl',
    ]);
  });

  it('BFCL entries and ground truth: one per validation conversation, call strings that read back', () => {
    const entries = jsonl(path.join(dir, 'export', 'bfcl', 'BFCL_v3_multi_turn_magnet.json'));
    const answers = jsonl(
      path.join(dir, 'export', 'bfcl', 'possible_answer', 'BFCL_v3_multi_turn_magnet.json'),
    );
    expect(entries).toHaveLength(12);
    expect(answers.map((a) => a.id)).toEqual(entries.map((e) => e.id));
    for (const [i, e] of entries.entries()) {
      const gt = answers[i]?.ground_truth as string[][];
      expect(gt).toHaveLength((e.question as unknown[]).length);
      for (const s of gt.flat()) expect(() => parsePyCall(s)).not.toThrow();
    }
    expect(answers.some((a) => (a.ground_truth as string[][]).some((t) => t.length === 0))).toBe(true);
    expect(existsSync(path.join(dir, 'export', 'bfcl', 'multi_turn_func_doc'))).toBe(true);
  });
});

describe('BFCL export of a pool with dotted names (a BFCL live file)', () => {
  const DOTTED = path.join(__dirname, '..', 'fixtures', 'bfcl-names', 'live-dotted.jsonl');
  const ORIGINAL = ['uber.ride', 'uber.ride2', 'requests.get', 'math.factorial', 'get_current_weather'];
  const SAFE = ['uber_ride', 'uber_ride2', 'requests_get', 'math_factorial', 'get_current_weather'];
  let bfcl: string;
  let openai: string;
  let run: Awaited<ReturnType<typeof syntheticRun>>;
  beforeAll(async () => {
    run = await syntheticRun(24, [DOTTED]);
    await exportRecords({
      runId: 'dotted',
      conversations: path.join(run.dir, 'conversations'),
      pool: run.pool,
      formats: ['bfcl', 'openai'],
      outDir: path.join(run.dir, 'export'),
      split: 1,
      seed: 1,
      license: 'unknown',
    });
    bfcl = path.join(run.dir, 'export', 'bfcl');
    openai = path.join(run.dir, 'export', 'openai', 'train.jsonl');
  });

  it('function docs, ground truth, paths and held-out functions name the original functions', async () => {
    const docs = jsonl(path.join(bfcl, 'multi_turn_func_doc', 'live-dotted.json'));
    expect(docs.map((d) => d.name).sort()).toEqual([...ORIGINAL].sort());
    const entries = jsonl(path.join(bfcl, 'BFCL_v3_multi_turn_magnet.json'));
    const answers = jsonl(path.join(bfcl, 'possible_answer', 'BFCL_v3_multi_turn_magnet.json'));
    expect(entries).toHaveLength(24);
    const called = answers.flatMap((a) =>
      (a.ground_truth as string[][]).flat().map((c) => parsePyCall(c).name),
    );
    expect(called).toEqual(expect.arrayContaining(['uber.ride', 'requests.get']));
    for (const name of called) expect(ORIGINAL).toContain(name);
    expect(answers.flatMap((a) => (a.ground_truth as string[][]).flat())).toContainEqual(
      expect.stringMatching(/^uber\.ride\(loc='/),
    );
    for (const e of entries) {
      for (const p of e.path as string[]) expect(ORIGINAL.map((n) => `live-dotted.${n}`)).toContain(p);
      for (const held of Object.values(e.missed_function as Record<string, string[]>))
        for (const name of held) expect(ORIGINAL).toContain(name);
    }
    // magnet validate reads the dotted calls back and checks them against the function docs
    const reports = await validatePath(path.join(bfcl, 'BFCL_v3_multi_turn_magnet.json'));
    expect(reports.map((r) => [r.format, r.problems])).toEqual([
      ['bfcl', []],
      ['bfcl-answers', []],
    ]);
  });

  it('a single-turn entry offers and expects the original name, as BFCL live does', () => {
    const rec = JSON.parse(
      readFileSync(path.join(run.dir, 'conversations', 'conv-00000.json'), 'utf8'),
    ) as ConversationRecord;
    const turn = rec.turns.find((t) => t.calls.some((c) => c.name === 'uber_ride'));
    const call = turn?.calls.find((c) => c.name === 'uber_ride');
    if (!turn || !call) throw new Error('conv-00000 calls no uber_ride');
    const single = {
      ...rec,
      kind: 'single' as const,
      turns: [{ ...turn, calls: [call] }],
      tools: ['uber_ride'],
    };
    const { category, entry, answer } = toBfclSingle(single, run.pool);
    expect(category).toBe('simple');
    expect(entry.function.map((f) => f.name)).toEqual(['uber.ride']);
    expect(Object.keys(answer?.ground_truth[0] ?? {})).toEqual(['uber.ride']);
    expect(
      checkRow('bfcl-single-answers', answer as never, { bfclTools: bfclSingleTools(entry as never) }),
    ).toEqual([]);
  });

  it('the chat exports keep the safe names: providers refuse dotted ones', async () => {
    const rows = jsonl(openai);
    const tools = rows.flatMap((r) =>
      (r.tools as { function: { name: string } }[]).map((t) => t.function.name),
    );
    expect(new Set(tools)).toEqual(new Set(SAFE));
    const calls = rows.flatMap((r) =>
      (r.messages as { tool_calls?: { function: { name: string } }[] }[]).flatMap(
        (m) => m.tool_calls?.map((c) => c.function.name) ?? [],
      ),
    );
    expect(calls).toContain('uber_ride');
    for (const name of calls) expect(SAFE).toContain(name);
    expect((await validatePath(openai)).map((r) => r.problems)).toEqual([[]]);
  });
});

describe('Python call strings', () => {
  it('write the values BFCL needs like Python does', () => {
    expect(pyCall('cd', { folder: 'document' })).toBe("cd(folder='document')");
    expect(pyLiteral("it's")).toBe('"it\'s"');
    expect(pyLiteral('both \' and "')).toBe("'both \\' and \"'");
    expect(pyLiteral({ a: [1, 2.5, null, true, false] })).toBe("{'a': [1, 2.5, None, True, False]}");
    expect(pyLiteral('a\nb\\c\u0001')).toBe("'a\\nb\\\\c\\x01'");
    expect(pyCall('send', { from: 'x', to: 'y' })).toBe("send(to='y', **{'from': 'x'})");
  });

  it('read back to the same value for any JSON arguments', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (args) => {
        const clean = JSON.parse(JSON.stringify(args)) as Record<string, unknown>;
        const parsed = parsePyCall(pyCall('f', clean));
        expect(parsed.name).toBe('f');
        expect(parsed.args).toEqual(clean);
      }),
      { numRuns: 300 },
    );
  });
});

describe('the run writes the configured formats (exportRunActivity)', () => {
  it('writes sft.openai.jsonl without metadata, its sidecar, pool.json and export/<format>', async () => {
    const { dir, pool } = await syntheticRun(8);
    const storeDir = path.join(dir, 'store');
    const poolRef = await putJson(storeDir, { functions: [...pool.values()] });
    const env = new MockActivityEnvironment();
    const summary = (await env.run(exportRunActivity, {
      runId: 'syn',
      outDir: dir,
      storeDir,
      poolRef,
      failed: 0,
      failures: {},
      usage: { requests: 0, cached: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 },
      export: { formats: ['trl', 'bfcl'] as ExportFormat[], split: 0.75, license: 'unknown' },
      seed: 1,
    })) as RunSummary;
    expect(summary.conversations).toBe(8);
    for (const r of jsonl(path.join(dir, 'sft.openai.jsonl')))
      expect(Object.keys(r)).not.toContain('metadata');
    expect(jsonl(path.join(dir, 'sft.openai.provenance.jsonl'))).toHaveLength(8);
    expect(existsSync(path.join(dir, 'pool.json'))).toBe(true);
    expect(readdirSync(path.join(dir, 'export')).sort()).toEqual(['bfcl', 'trl']);
    expect(summary.files.exports?.length).toBeGreaterThan(0);
  });
});
