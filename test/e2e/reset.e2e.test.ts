import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { defaultPayloadConverter, type Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import type { RunInput } from '../../src/core/config';
import { createWorkers } from '../../src/worker';
import { fakeLlm, makeRunDir, prepare, runToEnd } from '../helpers/run';
import { temporalAddress, withClientAndFakeOpenAI, workflowBundle } from '../helpers/temporal';

/**
 * docs/reset.md: a conversation (or a run) is reset to a given turn with Temporal's own
 * `temporal workflow reset --event-id`, where the event id is found from the activity summaries
 * ("turn 2/5 · back-translate") in the workflow history.
 */

type History = temporal.api.history.v1.IHistory;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Event ids are int64 (Long) in the decoded history. */
function num(v: unknown): number {
  return Number(String(v));
}

/** The summary a workflow gave an activity (a JSON payload in the event's user metadata). */
function summaryOf(e: HistoryEvent): string | undefined {
  const p = e.userMetadata?.summary;
  return p ? defaultPayloadConverter.fromPayload<string>(p) : undefined;
}

interface ScheduledStep {
  eventId: number;
  type: string;
  summary?: string;
  /** The WorkflowTaskCompleted event whose commands scheduled this activity. */
  workflowTaskCompletedEventId: number;
}

function scheduledSteps(history: History): ScheduledStep[] {
  return (history.events ?? []).flatMap((e) => {
    const a = e.activityTaskScheduledEventAttributes;
    if (!a) return [];
    return [
      {
        eventId: num(e.eventId),
        type: a.activityType?.name ?? '',
        summary: summaryOf(e),
        workflowTaskCompletedEventId: num(a.workflowTaskCompletedEventId),
      },
    ];
  });
}

const TURN = /^turn (\d+)\/(\d+) · (.+)$/;
/** The steps that produce a turn (what a reset to turn N must not redo for earlier turns). */
const GENERATION = new Set(['back-translate', 'forth-translate', 'execute']);

function turnOf(step: ScheduledStep): { turn: number; stage: string } | undefined {
  const m = step.summary ? TURN.exec(step.summary) : null;
  return m ? { turn: Number(m[1]), stage: m[3] as string } : undefined;
}

/** `temporal workflow reset`, spawned asynchronously: the workers that must run the new execution live here. */
function temporalReset(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const bin = process.env.MAGNET_TEST_TEMPORAL_BIN;
  if (!bin) throw new Error('MAGNET_TEST_TEMPORAL_BIN is not set: the jest global setup sets it');
  return new Promise((resolve, reject) => {
    const p = spawn(bin, [
      'workflow',
      'reset',
      ...args,
      '--address',
      temporalAddress(),
      '--namespace',
      'default',
    ]);
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Resets a workflow with the CLI while workers run, and returns the new execution's run id and result. */
async function resetAndRun<T>(
  client: Client,
  input: RunInput,
  workflowId: string,
  oldRunId: string,
  eventId: number,
  reason: string,
): Promise<{ runId: string; result: T }> {
  const workers = await createWorkers({
    address: temporalAddress(),
    config: input.config,
    taskQueue: input.taskQueue,
    options: { workflowBundle: await workflowBundle() },
  });
  const done = (async () => {
    const r = await temporalReset([
      '--workflow-id',
      workflowId,
      '--run-id',
      oldRunId,
      '--event-id',
      String(eventId),
      '--reason',
      reason,
    ]);
    if (r.status !== 0) throw new Error(`temporal workflow reset exited with ${r.status}: ${r.stderr}`);
    const handle = client.workflow.getHandle(workflowId);
    const { runId } = await handle.describe();
    if (runId === oldRunId) throw new Error('the reset did not start a new execution');
    return { runId, result: (await client.workflow.getHandle(workflowId, runId).result()) as T };
  })();
  try {
    await Promise.all(workers.map((w) => w.worker.runUntil(done)));
    return await done;
  } finally {
    for (const w of workers) await w.connection.close().catch(() => undefined);
  }
}

/** Events of the new execution after the reset point (the WorkflowTaskFailed with cause RESET_WORKFLOW). */
function afterResetPoint(history: History): { resetEventId: number; after: HistoryEvent[] } {
  const events = history.events ?? [];
  const i = events.findIndex((e) => !!e.workflowTaskFailedEventAttributes?.failure?.resetWorkflowFailureInfo);
  if (i < 0) throw new Error('no reset point in the history');
  return { resetEventId: num(events[i]?.eventId), after: events.slice(i + 1) };
}

// every role on the fake OpenAI server: steps of LLM roles are activities with ActivityTaskScheduled events
// (on the offline backend they are local activities, recorded as markers: see docs/reset.md)
process.env.MAGNET_FAKE_KEY ??= 'sk-reset-test';
const ctx = withClientAndFakeOpenAI();
let client: Client;
beforeAll(() => {
  client = ctx.client;
});

describe('resetting with `temporal workflow reset` (docs/reset.md)', () => {
  const runId = `reset-${process.pid}-${Date.now()}`;
  let input: RunInput;

  beforeAll(async () => {
    const { home, configFile } = makeRunDir({ seed: 11, conversations: 3, llm: fakeLlm(ctx.server) });
    input = await prepare(home, configFile, runId);
    const summary = await runToEnd(client, input);
    expect(summary.conversations).toBe(3);
    expect(summary.failed).toBe(0);
  });

  it('a conversation reset to the start of turn 2 re-runs from there, keeps turn 1 and rewrites the same record', async () => {
    // a conversation with at least two turns, and the activity that starts its turn 2
    let id: string | undefined;
    let original: History | undefined;
    let turn2: ScheduledStep | undefined;
    for (let i = 0; i < 3 && !turn2; i++) {
      id = `${runId}/conv-${String(i).padStart(5, '0')}`;
      original = await client.workflow.getHandle(id).fetchHistory();
      turn2 = scheduledSteps(original).find(
        (s) => turnOf(s)?.turn === 2 && turnOf(s)?.stage === 'back-translate',
      );
    }
    if (!id || !original || !turn2) throw new Error('no conversation of the run has two turns');
    expect(turn2.summary).toMatch(/^turn 2\/\d+ · back-translate$/);
    const oldRunId = (await client.workflow.getHandle(id).describe()).runId;

    // the reset point: the WorkflowTaskCompleted just before turn 2's first activity (the one that scheduled it)
    const events = original.events ?? [];
    const completedBefore = events
      .filter((e) => e.workflowTaskCompletedEventAttributes && num(e.eventId) < turn2.eventId)
      .map((e) => num(e.eventId));
    const resetTo = completedBefore[completedBefore.length - 1] as number;
    expect(turn2.workflowTaskCompletedEventId).toBe(resetTo);
    const turn1Steps = scheduledSteps(original).filter(
      (s) => turnOf(s)?.turn === 1 && GENERATION.has(turnOf(s)?.stage ?? ''),
    );
    expect(turn1Steps.length).toBeGreaterThanOrEqual(2);
    for (const s of turn1Steps) expect(s.eventId).toBeLessThan(resetTo);

    const file = path.join(input.outDir, 'conversations', `${id.slice(runId.length + 1)}.json`);
    const before = readFileSync(file, 'utf8');
    const statBefore = statSync(file);

    const { runId: newRunId, result } = await resetAndRun<{ status: string; file?: string }>(
      client,
      input,
      id,
      oldRunId,
      resetTo,
      'test: re-run from turn 2',
    );

    // the new execution completed and wrote the record again (atomically: a new file replaced the old one)
    expect(result.status).toBe('completed');
    expect(result.file).toBe(file);
    const desc = await client.workflow.getHandle(id, newRunId).describe();
    expect(desc.status.name).toBe('COMPLETED');
    const statAfter = statSync(file);
    expect(statAfter.ino).not.toBe(statBefore.ino);
    const after = readFileSync(file, 'utf8');
    const [recBefore, recAfter] = [before, after].map(
      (t) => JSON.parse(t) as { turns: { query: string; calls: unknown[] }[] },
    );
    // turn 1 is the one kept from before the reset; the offline backend is deterministic, so all turns match
    expect(recAfter?.turns[0]).toEqual(recBefore?.turns[0]);
    expect(after).toBe(before);

    // the new history: everything before the reset point copied, then turn 2 onwards, no turn-1 generation step
    const history = await client.workflow.getHandle(id, newRunId).fetchHistory();
    const { resetEventId, after: rerun } = afterResetPoint(history);
    expect(resetEventId).toBe(resetTo);
    expect((history.events ?? []).slice(0, resetTo - 1).map((e) => e.eventType)).toEqual(
      events.slice(0, resetTo - 1).map((e) => e.eventType),
    );
    const rerunSteps = scheduledSteps({ events: rerun });
    expect(rerunSteps[0]?.summary).toBe(turn2.summary);
    for (const s of rerunSteps) {
      const t = turnOf(s);
      if (t && GENERATION.has(t.stage)) expect(t.turn).toBeGreaterThanOrEqual(2);
    }
    // distillation is a second pass after all turns, so it runs again for turn 1 too (docs/reset.md says so)
    expect(rerunSteps.some((s) => turnOf(s)?.turn === 1 && turnOf(s)?.stage === 'distill')).toBe(true);
    // turn 1's generation steps happened exactly once in the new execution: before the reset point
    const turn1InNew = scheduledSteps(history).filter(
      (s) => turnOf(s)?.turn === 1 && GENERATION.has(turnOf(s)?.stage ?? ''),
    );
    expect(turn1InNew.map((s) => s.summary)).toEqual(turn1Steps.map((s) => s.summary));
    for (const s of turn1InNew) expect(s.eventId).toBeLessThan(resetTo);

    // both executions are listed under the workflow id, and the reset history replays deterministically
    const runs: string[] = [];
    for await (const wf of client.workflow.list({ query: `WorkflowId = '${id}'` })) runs.push(wf.runId);
    expect(runs.sort()).toEqual([oldRunId, newRunId].sort());
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, id);
  });

  it('the run reset to just before its export re-runs only the export', async () => {
    const handle = client.workflow.getHandle(runId);
    const original = await handle.fetchHistory();
    const oldRunId = (await handle.describe()).runId;
    const steps = scheduledSteps(original);
    const exportStep = steps.find((s) => s.type === 'exportRunActivity');
    if (!exportStep) throw new Error('the run has no export activity');
    const sft = path.join(input.outDir, 'sft.openai.jsonl');
    const before = readFileSync(sft, 'utf8');
    const inode = statSync(sft).ino;

    const { runId: newRunId, result } = await resetAndRun<{ conversations: number; failed: number }>(
      client,
      input,
      runId,
      oldRunId,
      exportStep.workflowTaskCompletedEventId,
      'test: re-export',
    );
    expect(result.conversations).toBe(3);
    expect(result.failed).toBe(0);
    expect(statSync(sft).ino).not.toBe(inode);
    expect(readFileSync(sft, 'utf8')).toBe(before);

    // after the reset point: the export and nothing else (no conversation was started again)
    const history = await client.workflow.getHandle(runId, newRunId).fetchHistory();
    const { after } = afterResetPoint(history);
    expect(scheduledSteps({ events: after }).map((s) => s.type)).toEqual(['exportRunActivity']);
    expect(after.some((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)).toBe(false);
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, runId);
  });
});
