import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { validatePath } from '../../src/cli/validate';
import { KINDS } from '../../src/core/mix';
import type { OpenAIChatExample } from '../../src/export/openai';
import { provenanceFile } from '../../src/export/stream';
import { EXPORT_FORMATS } from '../../src/export/formats';
import { magnetCli, until } from '../helpers/cli';
import { fakeLlm, makeRunDir, prepare, readRecords, runToEnd, startRun } from '../helpers/run';
import { temporalAddress, withClientAndFakeOpenAI, workflowBundle } from '../helpers/temporal';
import { conversationStatusQuery } from '../../src/contracts';

/**
 * The mix (issue 11, part 3): a small offline run with every kind makes each one as its kind says, counts
 * planned and realised kinds in the summary, and every export format holds them validly.
 */
process.env.MAGNET_FAKE_KEY = 'sk-mix';
const ctx = withClientAndFakeOpenAI();

it('a run with a mix makes every kind, counts them and exports them validly', async () => {
  const { client } = ctx;
  const { home, configFile } = makeRunDir({
    seed: 5,
    conversations: 10,
    mix: { single: 2, parallel: 2, multiple: 2, multi_turn: 2, irrelevance: 2 },
    export: { formats: [...EXPORT_FORMATS], split: 1 },
  });
  const input = await prepare(home, configFile, `mix-${Date.now()}`);
  const summary = await runToEnd(client, input);
  expect(summary).toMatchObject({ conversations: 10, failed: 0, backend: 'offline' });
  expect(summary.mix).toEqual(Object.fromEntries(KINDS.map((k) => [k, { planned: 2, realised: 2 }])));
  // the ops' rates are taken over the multi-turn conversations only
  expect(summary.ops?.find((o) => o.op === 'split')?.basis).toBe(2);

  const { records } = await readRecords(input); // checkRecord: offered tools, arguments, sources
  const byKind = (k: string): typeof records => records.filter((r) => r.kind === k);
  for (const k of KINDS) expect(byKind(k)).toHaveLength(2);
  for (const r of records) expect(r.provenance.backend).toBe('offline');
  for (const r of records.filter((x) => x.kind !== 'multi_turn')) expect(r.turns).toHaveLength(1);
  for (const r of byKind('single')) expect(r.stats.calls).toBe(1);
  for (const r of byKind('parallel')) {
    const calls = r.turns[0]?.calls ?? [];
    expect(calls.length).toBeGreaterThanOrEqual(2);
    expect(new Set(calls.map((c) => c.name)).size).toBe(1);
    // several argument sets, not one repeated
    expect(new Set(calls.map((c) => JSON.stringify(c.arguments))).size).toBe(calls.length);
    expect(r.tools).toEqual([calls[0]?.name]);
  }
  for (const r of byKind('multiple')) {
    const calls = r.turns[0]?.calls ?? [];
    expect(new Set(calls.map((c) => c.name)).size).toBeGreaterThanOrEqual(2);
    // independent calls: one step of parallel tool calls
    for (const c of calls) expect(c.after).toEqual([]);
  }
  for (const r of byKind('irrelevance')) {
    const t = r.turns[0];
    expect(t?.calls).toEqual([]);
    expect(t?.missing).toBeDefined();
    expect(t?.assistant.final).toMatch(/none of the tools|I need the/);
    if (t?.missing?.kind === 'miss_func') expect(r.tools).not.toContain(t.missing.function);
  }

  // every format, every file valid; BFCL files per category
  const files = summary.files.exports ?? [];
  const data = files.filter(
    (f) => /\.jsonl?$/.test(f) && !f.endsWith('.provenance.jsonl') && !f.endsWith('dataset_info.json'),
  );
  const entries = data.filter(
    (f) => f.includes(`${path.sep}bfcl${path.sep}`) && !f.includes('possible_answer'),
  );
  const bfcl = entries.map((f) => path.basename(f)).filter((f) => f.startsWith('BFCL_'));
  expect(bfcl).toEqual(
    expect.arrayContaining(['BFCL_v3_multi_turn_magnet.json', 'BFCL_v3_irrelevance_magnet.json']),
  );
  expect(bfcl.some((f) => /BFCL_v3_(parallel|parallel_multiple)_magnet/.test(f))).toBe(true);
  for (const file of [
    ...data.filter((f) => !f.includes(`${path.sep}bfcl${path.sep}`)),
    ...entries.filter((f) => f.includes('BFCL_')),
  ]) {
    const reports = await validatePath(file);
    for (const r of reports)
      expect({ file: r.file, problems: r.problems }).toEqual({ file: r.file, problems: [] });
  }
  // single-turn BFCL entries are checked with their answers (irrelevance has none)
  const single = (await validatePath(entries.find((f) => f.includes('BFCL_v3_parallel')) as string)).map(
    (r) => r.format,
  );
  expect(single).toEqual(['bfcl-single', 'bfcl-single-answers']);

  // every kind reaches the OpenAI SFT file, one line per record; an irrelevance line calls no tool and ends
  // with the assistant declining or asking
  const openai = files.find((f) => f.endsWith(`${path.sep}openai${path.sep}train.jsonl`)) as string;
  const lines = readFileSync(openai, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as OpenAIChatExample);
  const ids = readFileSync(provenanceFile(openai), 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { id: string }).id);
  expect(lines).toHaveLength(10);
  for (const [i, line] of lines.entries()) {
    const rec = records.find((r) => r.id === ids[i]) as (typeof records)[number];
    const called = line.messages.some((m) => m.role === 'assistant' && (m.tool_calls?.length ?? 0) > 0);
    expect({ id: rec.id, called }).toEqual({ id: rec.id, called: rec.kind !== 'irrelevance' });
    expect(line.messages[line.messages.length - 1]?.role).toBe('assistant');
  }

  // the run's histories (a single-turn item among them) replay on today's code
  const bundle = await workflowBundle();
  const item = records.find((r) => r.kind === 'parallel') as (typeof records)[number];
  for (const id of [input.runId, item.id]) {
    const history = await client.workflow.getHandle(id).fetchHistory();
    await Worker.runReplayHistory({ workflowBundle: bundle }, history, id);
  }
}, 300_000);

it('a single-turn item whose step fails waits for `magnet retry` like a conversation turn', async () => {
  const { client, server } = ctx;
  const { home, configFile } = makeRunDir({
    seed: 9,
    conversations: 2,
    mix: { parallel: 1, irrelevance: 1 },
    failedTurns: { waitSeconds: 600 },
    llm: fakeLlm(server),
  });
  const runId = `mix-retry-${Date.now()}`;
  const input = await prepare(home, configFile, runId);
  let broken = true;
  server.setScript((req) => {
    const turn = (req.input as { turn?: { labels?: string[] } }).turn;
    if (broken && req.role === 'forth_translate' && turn?.labels?.includes('parallel'))
      return { content: 'no calls today' };
    return undefined;
  });
  const run = await startRun(client, input);
  try {
    const id = await until('the parallel item to wait', async () => {
      for (const i of [0, 1]) {
        const h = client.workflow.getHandle(`${runId}/conv-0000${i}`);
        const s = await h.query(conversationStatusQuery).catch(() => undefined);
        if (s?.waiting) return `${runId}/conv-0000${i}`;
      }
      return undefined;
    });
    const s = await client.workflow.getHandle(id).query(conversationStatusQuery);
    expect(s.failure).toMatchObject({ turn: 0, stage: 'forth-translate', type: 'LlmInvalidOutput' });
    const desc = await client.workflow.getHandle(id).describe();
    expect(await desc.memo).toMatchObject({ kind: 'parallel' });
    broken = false;
    const env = { ...process.env, TEMPORAL_ADDRESS: temporalAddress(), MAGNET_HOME: home };
    const r = await magnetCli(['retry', runId, '--failed', '--set', 'forth_translate.model=m2'], env);
    expect({ code: r.code, out: r.stdout }).toMatchObject({ code: 0 });
    expect(r.stdout).toContain(`retrying ${id}: turn 1 forth-translate runs again`);
    const summary = await run.done;
    expect(summary).toMatchObject({ conversations: 2, failed: 0 });
    expect(summary.mix).toMatchObject({
      parallel: { planned: 1, realised: 1 },
      irrelevance: { planned: 1, realised: 1 },
    });
    const { records } = await readRecords(input);
    const rec = records.find((x) => x.kind === 'parallel');
    expect(rec?.turns[0]?.calls.length).toBeGreaterThanOrEqual(2);
    expect(rec?.provenance.models.forth_translate).toBe('fake/m2');
  } finally {
    await run.stop();
  }
}, 300_000);
