import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { RunSummary } from '../src/activities/export';
import { ConversationRecord } from '../src/core/conversation';
import { normaliseQuery } from '../src/core/quality';
import { recordFiles } from '../src/export/stream';
import type { OpenAIChatExample } from '../src/export/openai';
import { fakeLlm, makeRunDir, prepare, readRecords, runToEnd } from './helpers/run';
import { withClientAndFakeOpenAI } from './helpers/temporal';

/**
 * The per-turn quality filter and the removal of repeated queries, end to end: a teacher that invents a number
 * in every second turn's answer gets those turns dropped by the (rule-based) judge for faithfulness, and a
 * query repeated across conversations is left out of the export; both are counted in report.json.
 */
process.env.MAGNET_FAKE_KEY = 'sk-quality';
const ctx = withClientAndFakeOpenAI();
const INVENTED = '987654';

it('drops turns whose answer invents a value, removes repeated queries, and counts both', async () => {
  const { client, server } = ctx;
  const { home, configFile } = makeRunDir({
    seed: 3,
    conversations: 8,
    concurrency: { conversations: 4 },
    llm: fakeLlm(server),
    quality: { threshold: 0.5, onLow: 'drop_turn', dedup: true },
  });
  server.setScript((req) => {
    const task = req.input as { turnIndex?: number; steps?: unknown[] } | undefined;
    if (req.role !== 'teacher' || task?.turnIndex !== 1) return undefined;
    const steps = (task.steps ?? []).map(() => 'Working on it.');
    return { content: JSON.stringify({ steps, final: `Done: ${INVENTED} items changed.` }) };
  });
  const input = await prepare(home, configFile, `quality-${Date.now()}`);
  const summary = await runToEnd(client, input);
  expect(summary.failed).toBe(0);

  // every record, exported or emptied by the filter, lost its turn 1 for faithfulness (if it had one)
  const { records } = await readRecords(input);
  const emptied = await Promise.all(
    (await recordFiles(path.join(input.outDir, 'filtered'))).map(async (f) =>
      ConversationRecord.parse(JSON.parse(readFileSync(f, 'utf8'))),
    ),
  );
  const all = [...records, ...emptied];
  expect(all).toHaveLength(8);
  const withTurn1 = all.filter((r) => r.fsp.turns.length > 1);
  expect(withTurn1.length).toBeGreaterThan(0);
  for (const r of withTurn1) {
    expect(r.turns.map((t) => t.index)).not.toContain(1);
    expect(r.quality?.dropped).toContainEqual(
      expect.objectContaining({ turn: 1, cause: 'low_quality', reasons: ['faithfulness'] }),
    );
  }
  const report = JSON.parse(readFileSync(summary.files.report, 'utf8')) as RunSummary;
  expect(report.quality?.dropped['low_quality:faithfulness']).toBe(withTurn1.length);
  expect(report.quality?.judged).toBe(all.reduce((n, r) => n + r.fsp.turns.length, 0));
  expect(report.quality?.turnsDropped).toBe(all.reduce((n, r) => n + (r.quality?.dropped.length ?? 0), 0));
  expect(report.quality?.conversationsFiltered).toBe(emptied.length);

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
}, 300_000);
