import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker, type ReplayResult } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { bundleOf } from '../helpers/temporal';

/**
 * Every released workflow version's recorded histories (test/histories/<version>/) must replay on today's
 * workflow code: a conversation may wait days for a retry, and a run continues as new for hours, across
 * upgrades. A change that alters the commands a workflow issues must go behind `patched()` (CONTRIBUTING.md).
 */
const ROOT = path.join(__dirname, '..', 'histories');

interface Recorded {
  file: string;
  workflowId: string;
  history: unknown;
}

function recorded(): Recorded[] {
  const out: Recorded[] = [];
  for (const version of readdirSync(ROOT, { withFileTypes: true }).filter((d) => d.isDirectory())) {
    for (const name of readdirSync(path.join(ROOT, version.name)).filter((n) => n.endsWith('.json'))) {
      const file = path.join(version.name, name);
      const { workflowId, history } = JSON.parse(readFileSync(path.join(ROOT, file), 'utf8')) as Recorded;
      out.push({ file, workflowId, history });
    }
  }
  return out;
}

async function replayAll(workflowsPath: string, histories: Recorded[]): Promise<Map<string, ReplayResult>> {
  const byId = new Map(histories.map((h) => [h.workflowId + h.file, h.file]));
  const results = new Map<string, ReplayResult>();
  const iterable = histories.map((h) => ({
    workflowId: h.workflowId + h.file,
    // recorded as protobufjs writes a fetched History (JSON.stringify): fromObject reads it back
    history: temporal.api.history.v1.History.fromObject(h.history as object),
  }));
  for await (const r of Worker.runReplayHistories(
    { workflowBundle: await bundleOf(workflowsPath) },
    iterable,
  ))
    results.set(byId.get(r.workflowId) as string, r);
  return results;
}

const histories = recorded();

/** The activity types of a history's local activities (recorded as `core_local_activity` markers). */
function localActivityTypes(history: unknown): string[] {
  const events = (history as { events?: Record<string, unknown>[] }).events ?? [];
  const types: string[] = [];
  for (const e of events) {
    const m = e.markerRecordedEventAttributes as
      { markerName?: string; details?: { data?: { payloads?: { data?: string }[] } } } | undefined;
    if (m?.markerName !== 'core_local_activity') continue;
    for (const p of m.details?.data?.payloads ?? []) {
      const decoded = JSON.parse(Buffer.from(p.data ?? '', 'base64').toString()) as {
        activity_type?: string;
      };
      if (decoded.activity_type) types.push(decoded.activity_type);
    }
  }
  return types;
}

const versions = [...new Set(histories.map((h) => h.file.split(path.sep)[0] as string))];

it.each(versions)('version %s holds every kind of execution', (version) => {
  const mine = histories.filter((h) => h.file.startsWith(version + path.sep));
  // local activities (from v4 on) are markers whose details name the activity type, base64-encoded
  const text = mine.map((h) => JSON.stringify(h.history) + localActivityTypes(h.history).join(' '));
  // a run that continued as new, its graph child, a conversation that waited and was retried, negatives
  expect(text.some((t) => t.includes('EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW'))).toBe(true);
  expect(mine.some((h) => h.workflowId.endsWith('/graph'))).toBe(true);
  expect(text.some((t) => t.includes('retryTurn') && t.includes('writeFailureActivity'))).toBe(true);
  expect(text.some((t) => t.includes('negativeTurnActivity'))).toBe(true);
});

it('holds the releases so far', () => {
  expect(versions).toEqual(expect.arrayContaining(['v1', 'v2', 'v3', 'v4', 'v5', 'v6']));
});

/** The patch ids a history's markers record (their details are base64-encoded JSON `{id, deprecated}`). */
function patchIds(history: unknown): string[] {
  const events = (history as { events?: Record<string, unknown>[] }).events ?? [];
  return events.flatMap((e) => {
    const m = e.markerRecordedEventAttributes as
      { markerName?: string; details?: Record<string, { payloads?: { data?: string }[] }> } | undefined;
    if (m?.markerName !== 'core_patch') return [];
    return (m.details?.['patch-data']?.payloads ?? []).map(
      (p) => (JSON.parse(Buffer.from(p.data ?? '', 'base64').toString()) as { id: string }).id,
    );
  });
}

it('from v5 on, a conversation wrote a failed turn again (the regenerate-failed-turns patch)', () => {
  const v5 = histories.filter((h) => h.file.startsWith(`v5${path.sep}`) && h.workflowId.includes('/conv-'));
  expect(v5.some((h) => patchIds(h.history).includes('regenerate-failed-turns'))).toBe(true);
});

it('from v6 on, a role found unfit paused the run, which resumed (the pause-on-unfit-role patch)', () => {
  const v6 = histories.filter((h) => h.file.startsWith(`v6${path.sep}`));
  const patchedIn = (kind: string): boolean =>
    v6.some((h) => h.workflowId.includes(kind) && patchIds(h.history).includes('pause-on-unfit-role'));
  // a conversation paused the run; the graph judged with its lanes going on; the run forwarded a resume's set
  expect(patchedIn('/conv-')).toBe(true);
  expect(patchedIn('/graph')).toBe(true);
  const text = v6.map((h) => JSON.stringify(h.history));
  expect(text.some((t) => t.includes('"signalName":"pause"'))).toBe(true);
  expect(text.some((t) => t.includes('"signalName":"setRoles"'))).toBe(true);
});

it('replays every recorded history on the current workflow code', async () => {
  const results = await replayAll(require.resolve('../../src/workflows'), histories);
  expect(results.size).toBe(histories.length);
  const failures = [...results].filter(([, r]) => r.error).map(([file, r]) => `${file}: ${String(r.error)}`);
  expect(failures).toEqual([]);
});

describe('the replay check catches what it must', () => {
  const conversations = histories.filter((h) => h.workflowId.includes('/conv-'));

  it('an incompatible change without patched() fails to replay', async () => {
    const results = await replayAll(require.resolve('./fixtures/unpatched-change'), conversations);
    expect(results.size).toBe(conversations.length);
    for (const [, r] of results) expect(r.error).toBeInstanceOf(DeterminismViolationError);
  });

  it('the same change behind patched() replays', async () => {
    const results = await replayAll(require.resolve('./fixtures/patched-change'), conversations);
    expect([...results].filter(([, r]) => r.error).map(([f, r]) => `${f}: ${String(r.error)}`)).toEqual([]);
  });
});
