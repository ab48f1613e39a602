import { mkdtempSync, readFileSync, readdirSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import * as activities from '../../src/activities';
import { prepareRun } from '../../src/cli/run';
import { indexPool } from '../../src/core/pool';
import { loadPool } from '../../src/tools/pool-loader';
import type { OpenAIChatExample } from '../../src/export/openai';
import { synthesisRun } from '../../src/workflows/run';
import { checkChatExample, checkRecord } from '../helpers/checks';
import { connect, temporalAddress, workflowBundle } from '../helpers/temporal';
import { NativeConnection } from '@temporalio/worker';
import { progressQuery } from '../../src/contracts';

const home = mkdtempSync(path.join(os.tmpdir(), 'magnet-e2e-'));
process.env.MAGNET_HOME = home;
const DEMO = path.join(__dirname, '..', '..', 'examples', 'demo.config.json');

let client: Client;
beforeAll(async () => {
  await workflowBundle();
  client = await connect();
});
afterAll(async () => {
  await client.connection.close();
});

async function worker(taskQueue: string): Promise<{ worker: Worker; close: () => Promise<void> }> {
  const bundle = await workflowBundle();
  const connection = await NativeConnection.connect({ address: temporalAddress() });
  const w = await Worker.create({ connection, taskQueue, activities, workflowBundle: bundle });
  return { worker: w, close: () => connection.close() };
}

describe('synthesis run on a real Temporal dev server (offline backend)', () => {
  const runId = `e2e-${process.pid}-${Date.now()}`;
  const taskQueue = `e2e-${runId}`;
  let outDir = '';

  it('runs the demo pool end to end and writes checked records and an OpenAI chat JSONL', async () => {
    const input = await prepareRun(DEMO, { runId, conversations: 16 });
    outDir = input.outDir;
    const { worker: w, close } = await worker(taskQueue);
    const handle = await client.workflow.start(synthesisRun, {
      taskQueue,
      workflowId: runId,
      args: [input, undefined, 6],
    });
    const t0 = Date.now();
    const { summary, progress } = await w.runUntil(async () => {
      const summary = await handle.result();
      return { summary, progress: await handle.query(progressQuery) };
    });
    console.log(`16 conversations in ${Date.now() - t0} ms`);
    await close();

    expect(summary.conversations).toBe(16);
    expect(summary.failed).toBe(0);
    expect(summary.backend).toBe('offline');
    // planned vs realised op rates, in the summary (and so in report.json)
    expect(summary.ops?.map((o) => o.op)).toEqual([
      'merge',
      'insert_long_share',
      'split',
      'split_miss_func_share',
    ]);
    // the demo makes the paper's mix (16 items: single 5, parallel 2, multiple 2, multi-turn 4, irrelevance 3);
    // the ops' rates are over the multi-turn conversations
    expect(summary.mix).toEqual({
      single: { planned: 5, realised: 5 },
      parallel: { planned: 2, realised: 2 },
      multiple: { planned: 2, realised: 2 },
      multi_turn: { planned: 4, realised: 4 },
      irrelevance: { planned: 3, realised: 3 },
    });
    expect(summary.ops?.find((o) => o.op === 'split')).toMatchObject({ planned: 0.5, basis: 4 });
    expect(progress).toMatchObject({ phase: 'done', completed: 16, failed: 0, inFlight: 0, started: 16 });

    const pool = indexPool(await loadPool(input.poolPaths));
    const files = readdirSync(path.join(outDir, 'conversations')).sort();
    expect(files).toEqual(Array.from({ length: 16 }, (_, i) => `conv-${String(i).padStart(5, '0')}.json`));
    const records = files.map((f) =>
      checkRecord(JSON.parse(readFileSync(path.join(outDir, 'conversations', f), 'utf8')), pool),
    );
    expect(new Set(records.map((r) => r.id)).size).toBe(16);
    for (const r of records) expect(r.id).toBe(`${runId}/conv-${String(r.index).padStart(5, '0')}`);
    // the pipeline exercises what MAGNET is for: merges, inserts, splits and cross-turn dependencies
    const labels = new Set(records.flatMap((r) => r.turns.flatMap((t) => t.labels)));
    for (const l of ['merge', 'walk'] as const) expect(labels.has(l)).toBe(true);
    expect(records.some((r) => r.turns.some((t) => t.missing))).toBe(true);
    expect(records.some((r) => r.turns.some((t) => t.functions.some((f) => f.via !== 'walk')))).toBe(true);
    const crossTurn = records.flatMap((r) =>
      r.turns.flatMap((t, h) =>
        t.calls.flatMap((c) =>
          Object.values(c.sources).filter((s) => s.kind === 'call' && !s.call.startsWith(`call_${h + 1}_`)),
        ),
      ),
    );
    expect(crossTurn.length).toBeGreaterThan(0);
    const ok = records.flatMap((r) => r.turns.flatMap((t) => t.calls)).filter((c) => !c.error).length;
    const all = records.flatMap((r) => r.turns.flatMap((t) => t.calls)).length;
    expect(ok / all).toBeGreaterThan(0.5);

    const lines = readFileSync(path.join(outDir, 'sft.openai.jsonl'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(16);
    lines.forEach((line, i) =>
      checkChatExample(JSON.parse(line) as OpenAIChatExample, records[i] as (typeof records)[number]),
    );
    const report = JSON.parse(readFileSync(path.join(outDir, 'report.json'), 'utf8')) as {
      conversations: number;
      duplicates: { applied: boolean; turns: number };
    };
    expect(report.conversations).toBe(16);
    // repeated queries are left out of the exports by default (none repeats in these 16: the lines match)
    expect(report.duplicates).toMatchObject({ applied: true, turns: 0 });
    expect(existsSync(path.join(outDir, 'graph.json'))).toBe(true);
  });

  it('replays the recorded histories of the run, a conversation and the graph build deterministically', async () => {
    const bundle = await workflowBundle();
    // The run continued as new (batch of 6): replay each execution of the chain.
    const runs = client.workflow.list({ query: `WorkflowId = '${runId}'` });
    let executions = 0;
    for await (const wf of runs) {
      const history = await client.workflow.getHandle(runId, wf.runId).fetchHistory();
      await Worker.runReplayHistory({ workflowBundle: bundle }, history, runId);
      executions++;
    }
    expect(executions).toBeGreaterThanOrEqual(3);
    for (const id of [`${runId}/conv-00003`, `${runId}/graph`]) {
      const history = await client.workflow.getHandle(id).fetchHistory();
      expect(history.events?.length).toBeGreaterThan(5);
      await Worker.runReplayHistory({ workflowBundle: bundle }, history, id);
    }
  });
});
