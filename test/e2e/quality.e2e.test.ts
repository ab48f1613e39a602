import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConversationRecord } from '../../src/core/conversation';
import { normaliseQuery } from '../../src/core/quality';
import { recordFiles } from '../../src/export/stream';
import type { OpenAIChatExample } from '../../src/export/openai';
import { magnetCli } from '../helpers/cli';
import { fakeLlm, makeRunDir, prepare, readRecords, runToEnd } from '../helpers/run';
import { temporalAddress, withClientAndFakeOpenAI } from '../helpers/temporal';
import { type RunSummary } from '../../src/contracts';

/**
 * The per-turn quality filter and the removal of repeated queries, end to end: a teacher (on the fake OpenAI
 * server) that invents a number in every sixth turn's answer gets that turn dropped by the rule-based judge for
 * faithfulness, and the conversation cut there; the offline backend's template queries repeat across
 * conversations, and the repeats are left out of the export. Both are counted in report.json.
 */
process.env.MAGNET_FAKE_KEY = 'sk-quality';
const ctx = withClientAndFakeOpenAI();
const INVENTED = '987654';
const LOW_TURN = 5;

it('cuts a conversation at a turn whose answer invents a value, removes repeated queries, counts both', async () => {
  const { client, server } = ctx;
  const fake = fakeLlm(server) as { providers: Record<string, unknown> };
  // seed 7: among the first 12 conversations two ask the same query (turns before LOW_TURN)
  const { home, configFile } = makeRunDir({
    seed: 7,
    conversations: 12,
    concurrency: { conversations: 4 },
    llm: {
      providers: fake.providers,
      default: { provider: 'offline' },
      roles: { teacher: { provider: 'fake', model: 'm1' } },
    },
    // dedup is not set: repeated queries are left out of the exports by default
    quality: { threshold: 0.5, onLow: 'cut' },
  });
  server.setScript((req) => {
    const task = req.input as { turnIndex?: number; steps?: unknown[] } | undefined;
    if (req.role !== 'teacher' || task?.turnIndex !== LOW_TURN) return undefined;
    const steps = (task.steps ?? []).map(() => 'Working on it.');
    return { content: JSON.stringify({ steps, final: `Done: ${INVENTED} items changed.` }) };
  });
  const input = await prepare(home, configFile, `quality-${Date.now()}`);
  const summary = await runToEnd(client, input);
  expect(summary.failed).toBe(0);

  // every record that had a turn LOW_TURN lost it for faithfulness, and the turns after it to the cut
  const { records } = await readRecords(input);
  const emptied = await Promise.all(
    (await recordFiles(path.join(input.outDir, 'filtered'))).map(async (f) =>
      ConversationRecord.parse(JSON.parse(readFileSync(f, 'utf8'))),
    ),
  );
  expect(emptied).toEqual([]);
  expect(records).toHaveLength(12);
  const long = records.filter((r) => r.fsp.turns.length > LOW_TURN);
  expect(long.length).toBeGreaterThan(0);
  for (const r of long) {
    // the turns before the low one stay, but for those whose calls failed (the grounding removed them)
    const grounded = new Set(r.grounding?.dropped.map((d) => d.turn));
    expect(r.turns.map((t) => t.index)).toEqual(
      Array.from({ length: LOW_TURN }, (_, i) => i).filter((i) => !grounded.has(i)),
    );
    expect(r.quality?.dropped[0]).toMatchObject({
      turn: LOW_TURN,
      cause: 'low_quality',
      reasons: ['faithfulness'],
    });
    expect(r.quality?.dropped.slice(1).every((d) => d.cause === 'cut')).toBe(true);
  }
  const report = JSON.parse(readFileSync(summary.files.report, 'utf8')) as RunSummary;
  expect(report.quality?.dropped['low_quality:faithfulness']).toBe(long.length);
  expect(report.quality?.dropped.cut).toBe(long.reduce((n, r) => n + r.fsp.turns.length - LOW_TURN - 1, 0));
  // the filter scores the turns the grounding kept (a turn whose calls failed is gone before it)
  expect(report.quality?.judged).toBe(
    records.reduce((n, r) => n + r.fsp.turns.length - (r.grounding?.dropped.length ?? 0), 0),
  );
  expect(report.quality?.conversationsFiltered).toBe(0);

  // the records repeat some queries; the export holds each once, and report.json says how many went
  const queries = records.flatMap((r) => r.turns.map((t) => normaliseQuery(t.query)));
  const repeats = queries.length - new Set(queries).size;
  expect(repeats).toBeGreaterThan(0);
  expect(report.duplicates).toMatchObject({ method: 'normalised-exact' });
  // each repeat goes (unless a turn it depends on went first), with the turns that depend on it
  expect(report.duplicates?.turns).toBeGreaterThan(0);
  expect(report.duplicates?.turns).toBeLessThanOrEqual(repeats);
  const sft = readFileSync(summary.files.sft, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as OpenAIChatExample);
  const exported = sft.flatMap((ex) =>
    ex.messages.filter((m) => m.role === 'user').map((m) => normaliseQuery(String(m.content))),
  );
  expect(new Set(exported).size).toBe(exported.length);
  expect(exported.length).toBe(queries.length - report.duplicates!.turns - report.duplicates!.dependents);
  for (const q of exported) expect(queries).toContain(q);
  expect(readFileSync(summary.files.sft, 'utf8')).not.toContain(INVENTED);

  // magnet export: as the run did by default; --no-dedup keeps every turn of the records
  const env = { TEMPORAL_ADDRESS: temporalAddress(), MAGNET_HOME: home };
  const userTurns = async (args: string[], out: string): Promise<number> => {
    const r = await magnetCli(
      ['export', input.outDir, '--format', 'openai', '--split', '1', '--out', out, ...args],
      env,
    );
    expect({ code: r.code, err: r.stderr }).toMatchObject({ code: 0 });
    return readFileSync(path.join(out, 'openai', 'train.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .reduce(
        (n, l) => n + (JSON.parse(l) as OpenAIChatExample).messages.filter((m) => m.role === 'user').length,
        0,
      );
  };
  expect(await userTurns([], path.join(home, 'again'))).toBe(exported.length);
  expect(await userTurns(['--no-dedup'], path.join(home, 'all'))).toBe(queries.length);
}, 300_000);
