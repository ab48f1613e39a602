import { readFileSync } from 'node:fs';
import path from 'node:path';
import { validatePath } from '../../src/cli/validate';
import { EXPORT_FORMATS } from '../../src/export/formats';
import type { OpenAIChatExample } from '../../src/export/openai';
import { toolsAtTurn } from '../../src/export/rows';
import { makeRunDir, prepare, readRecords, runToEnd } from '../helpers/run';
import { withClient } from '../helpers/temporal';
import { type RunSummary } from '../../src/contracts';

/**
 * ops.provideFuncProb end to end on the offline backend: every conversation gets a miss_func turn, and the
 * next turn provides the missing function (offered from that turn on, called there with the values its own
 * query restates). Records, exports (valid, one tool list per row that never offers a declined tool, BFCL's
 * missed_function) and the planned vs realised rate in report.json.
 */
const ctx = withClient();

it('a later turn provides the missing function: records, valid exports, realised rate', async () => {
  const n = 4;
  const { home, configFile } = makeRunDir({
    seed: 11,
    conversations: n,
    concurrency: { conversations: 4 },
    ops: { splitProb: 1, missFuncProb: 1, provideFuncProb: 1 },
    export: { formats: EXPORT_FORMATS, split: 1 },
    llm: { default: { provider: 'offline' } },
  });
  const input = await prepare(home, configFile, `provides-${process.pid}-${Date.now()}`);
  const summary = await runToEnd(ctx.client, input);
  expect(summary.failed).toBe(0);

  // records (checkRecord: each call's tool is offered at its turn, the missing one is not at the miss_func turn)
  const { records } = await readRecords(input);
  expect(records).toHaveLength(n);
  const declined = new Map<string, string>();
  for (const rec of records) {
    const m = rec.turns.findIndex((t) => t.missing?.kind === 'miss_func');
    expect(m).toBeGreaterThan(0);
    const fn = rec.turns[m]?.missing?.function as string;
    const p = rec.turns[m + 1];
    expect(p).toMatchObject({ labels: ['provides_function'], adds: [fn] });
    expect(p?.functions).toEqual([{ name: fn, via: 'walk' }]);
    expect(p?.calls.map((c) => c.name)).toEqual([fn]);
    // grounded in its own query, which says the function is available now
    expect(p?.query).toContain(`${fn} is now available`);
    // every value the user gives is in this turn's own query (the rest are earlier outputs)
    for (const [param, src] of Object.entries(p?.calls[0]?.sources ?? {}))
      expect({ param, src }).toEqual({
        param,
        src:
          src.kind === 'query' ? { kind: 'query', turn: m + 1 } : expect.objectContaining({ kind: 'call' }),
      });
    expect(rec.tools).toContain(fn);
    expect(toolsAtTurn(rec, m)).not.toContain(fn);
    expect(toolsAtTurn(rec, m + 1)).toContain(fn);
    expect(rec.fsp.trace).toMatchObject({ split: 'miss_func', providesFunction: true });
    declined.set(rec.turns[m]?.query as string, fn);
  }

  // report.json: planned vs realised
  const report = JSON.parse(readFileSync(summary.files.report, 'utf8')) as RunSummary;
  expect(report.ops?.find((o) => o.op === 'provide_func_share')).toMatchObject({
    planned: 1,
    realised: 1,
    basis: n,
    of: 'miss_func splits',
  });
  expect(report.labels.provides_function).toBe(n);

  // the run's SFT file and every export: two rows per conversation, none offering the tool it declines
  const sft = readFileSync(summary.files.sft, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as OpenAIChatExample);
  expect(sft).toHaveLength(2 * n);
  let asked = 0;
  for (const row of sft)
    for (const msg of row.messages) {
      const fn = msg.role === 'user' ? declined.get(msg.content) : undefined;
      if (fn === undefined) continue;
      asked++;
      expect(row.tools.map((t) => t.function.name)).not.toContain(fn);
    }
  expect(asked).toBe(n);
  const exportDir = path.join(input.outDir, 'export');
  const files = (report.files.exports ?? []).filter(
    (f) => /\.jsonl?$/.test(f) && !/provenance|dataset_info|func_doc|possible_answer|[/\\]hf[/\\]/.test(f),
  );
  expect(files.length).toBeGreaterThanOrEqual(4);
  for (const f of [...files, path.join(exportDir, 'hf'), summary.files.sft])
    for (const r of await validatePath(f))
      expect({ file: r.file, problems: r.problems.slice(0, 3) }).toEqual({ file: r.file, problems: [] });
  const bfcl = readFileSync(path.join(exportDir, 'bfcl', 'BFCL_v3_multi_turn_magnet.json'), 'utf8')
    .trim()
    .split('\n')
    .map(
      (l) =>
        JSON.parse(l) as { id: string; question: unknown[][]; missed_function: Record<string, string[]> },
    );
  expect(bfcl).toHaveLength(n);
  for (const e of bfcl) {
    const rec = records.find((r) => `multi_turn_magnet_${r.index}` === e.id);
    const p = rec?.turns.findIndex((t) => t.labels.includes('provides_function')) as number;
    expect(e.missed_function).toEqual({ [String(p)]: rec?.turns[p]?.adds });
    expect(e.question[p]).toEqual([]);
  }
}, 300_000);
