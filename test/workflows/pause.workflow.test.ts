import { ApplicationFailure, Context } from '@temporalio/activity';
import { Worker } from '@temporalio/worker';
import { retryWaiting } from '../../src/client';
import { LlmConfig, type RunInput } from '../../src/core/config';
import type { WorkflowHandle } from '@temporalio/client';
import {
  conversationStatusQuery,
  progressQuery,
  resumeSignal,
  type RunProgress,
  type RunSummary,
} from '../../src/contracts';
import { conversation } from '../../src/workflows/conversation';
import { synthesisRun } from '../../src/workflows/run';
import { until } from '../helpers/cli';
import { bundleOf } from '../helpers/temporal';
import { withTimeSkippingEnv } from '../helpers/time-skipping';
import { conversationInput, mockActivities, runInput, USAGE, type MockLog } from './mock-activities';

/**
 * A model that cannot do the job stops the spending early (issue 25 item 8): a step whose failure found its
 * role unfit (the activity's failure details carry the line, src/llm/fitness) pauses the run with that line,
 * waits for the resume however short failedTurns.waitSeconds is, and `magnet resume --set` goes on with the
 * new model, for the steps that wait and the conversations started after. The graph's requests go on past
 * a failed one and stop at an unfit judge.
 */
const ts = withTimeSkippingEnv();

const LINE = (role: string): string =>
  `role ${role} (model bad on p): 20 answers in a row failed validation after their repair; commonest problem: field steps: expected array`;

/** The failure of a step whose model was found unfit (as completeJson throws it). */
function unfitFailure(role: string): ApplicationFailure {
  return ApplicationFailure.create({
    message: `${role}: invalid answer from bad after one repair: field steps: expected array`,
    type: 'LlmInvalidOutput',
    nonRetryable: true,
    details: [
      { raw: '{}', usage: { ...USAGE, requests: 2 }, unfit: { line: LINE(role), role, model: 'bad' } },
    ],
  });
}

const wf = (): string => Context.current().info.workflowExecution?.workflowId ?? '';

/** Workers of the run's queue and of provider p's queue, with the mocked activities and `overrides`. */
async function workers(taskQueue: string, log: MockLog, overrides: Partial<Acts>): Promise<Worker[]> {
  const workflowBundle = await bundleOf(require.resolve('../../src/workflows'));
  const activities = { ...mockActivities(log), ...overrides };
  return Promise.all(
    [taskQueue, `${taskQueue}-llm-p`].map((q) =>
      Worker.create({ connection: ts.env.nativeConnection, taskQueue: q, workflowBundle, activities }),
    ),
  );
}

function runUntil<T>(ws: Worker[], fn: Promise<T>): Promise<T> {
  const [first, ...rest] = ws as [Worker, ...Worker[]];
  return rest.reduce<Promise<T>>((p, w) => w.runUntil(p), first.runUntil(fn));
}

type Acts = ReturnType<typeof mockActivities>;

/**
 * A run of `conversations` items whose `role` is on model `bad` of provider p (the other roles offline), with
 * the mocked activities and `acts`; `meanwhile` talks to it; answers the run's summary.
 */
async function unfitRun(
  runId: string,
  conversations: number,
  role: 'teacher' | 'dependency_judge',
  acts: Partial<Acts>,
  meanwhile: (handle: WorkflowHandle<typeof synthesisRun>) => Promise<void>,
): Promise<RunSummary> {
  const taskQueue = `tq-${runId}`;
  const ws = await workers(taskQueue, { calls: [], failures: new Map() }, acts);
  return runUntil(
    ws,
    (async () => {
      const handle = await ts.env.client.workflow.start(synthesisRun, {
        taskQueue,
        workflowId: runId,
        args: [runWith(taskQueue, runId, conversations, role, 'bad')],
      });
      await meanwhile(handle);
      return handle.result();
    })(),
  );
}

function progressUntil(runId: string, ok: (p: RunProgress) => boolean): Promise<RunProgress> {
  return until(`${runId} progress`, async () => {
    const p = await ts.env.client.workflow.getHandle(runId).query(progressQuery);
    return ok(p) ? p : undefined;
  });
}

it('an unfit teacher pauses the run in one line; resume --set teacher.model goes on, for all', async () => {
  const runId = 'unfit-teacher';
  const models: string[] = [];
  const acts: Partial<Acts> = {
    distillActivity: async (input) => {
      const model = (input.llm as { model?: string }).model ?? 'offline';
      models.push(`${wf()}:${input.turnIndex}:${model}`);
      if (model === 'bad') throw unfitFailure('teacher');
      return { steps: ['calling'], final: 'done', usage: USAGE };
    },
  };
  const summary = await unfitRun(runId, 3, 'teacher', acts, async (handle) => {
    // both conversations in flight fail at distill: the run pauses with the line, starts no third one,
    // and they wait (failedTurns.waitSeconds is 0: without the pause they would have ended failed)
    const paused = await progressUntil(runId, (p) => p.paused && p.waiting === 2);
    expect(paused).toMatchObject({
      started: 2,
      failed: 0,
      pause: { reason: LINE('teacher'), role: 'teacher' },
    });
    const status = await ts.env.client.workflow
      .getHandle(`${runId}/conv-00000`)
      .query(conversationStatusQuery);
    expect(status).toMatchObject({ waiting: true, failure: { stage: 'distill', unfit: LINE('teacher') } });
    // magnet resume --set teacher.model=good: the run goes on with the new model for new conversations, and the
    // waiting steps run again with it (by id: the test server has no workflow listing)
    const set = { 'teacher.model': 'good' };
    await handle.signal(resumeSignal, { set });
    for (const c of ['conv-00000', 'conv-00001'])
      expect(await retryWaiting(ts.env.client, runId, { conversation: c, set })).toEqual([
        expect.objectContaining({ outcome: 'accepted' }),
      ]);
    const resumed = await progressUntil(runId, (p) => !p.paused);
    expect(resumed.pause).toBeUndefined();
    expect(resumed.overrides).toEqual(set);
  });
  expect(summary).toMatchObject({ failed: 0 });
  // every conversation's distill ended on the good model; the third started with it
  expect(models.filter((m) => m.startsWith(`${runId}/conv-00002`) && m.endsWith(':bad'))).toEqual([]);
  for (const c of ['00000', '00001', '00002'])
    expect(models.filter((m) => m.startsWith(`${runId}/conv-${c}`) && m.endsWith(':good'))).toHaveLength(2);
});

it('an unfit judge pauses the graph and the run; the requests went on past failed ones until then', async () => {
  const runId = 'unfit-judge';
  const judged: string[] = [];
  let failures = 0;
  const acts: Partial<Acts> = {
    selectCandidatesActivity: async () => ({ candidatesRef: 'cands', functions: 40 }),
    judgeFunctionsActivity: async (input) => {
      const model = (input.judge as { model?: string }).model ?? 'offline';
      judged.push(`${input.start}:${model}`);
      if (model !== 'bad') return { edgesRef: `edges-${input.start}`, edges: 1, rejected: 0, usage: USAGE };
      // as the worker's tally would: the 5th failure in a row finds the judge unfit
      if (++failures < 5)
        throw ApplicationFailure.create({
          message: 'dependency_judge: invalid answer from bad after one repair: field edges: expected array',
          type: 'LlmInvalidOutput',
          nonRetryable: true,
          details: [{ raw: '{}', usage: { ...USAGE, requests: 2 } }],
        });
      throw unfitFailure('dependency_judge');
    },
  };
  const summary = await unfitRun(runId, 2, 'dependency_judge', acts, async (handle) => {
    const paused = await progressUntil(runId, (p) => p.paused && p.waiting === 1);
    expect(paused).toMatchObject({
      phase: 'graph',
      started: 0,
      pause: { reason: LINE('dependency_judge'), role: 'dependency_judge' },
    });
    // the lanes went on past the first failures (a failed request no longer holds its lane) and stopped at
    // the unfit one: 5 requests, and at most one more that was in flight (8 lanes: never all 40)
    const before = judged.length;
    expect(before).toBeGreaterThanOrEqual(5);
    expect(before).toBeLessThanOrEqual(5 + 8);
    const graph = await ts.env.client.workflow.getHandle(`${runId}/graph`).query(conversationStatusQuery);
    expect(graph).toMatchObject({ stage: 'graph', waiting: true });
    // magnet resume --set dependency_judge.model=good: the run forwards the overrides to the graph, and the
    // retry lets the failed requests go again
    const set = { 'dependency_judge.model': 'good' };
    await handle.signal(resumeSignal, { set });
    expect(await retryWaiting(ts.env.client, runId, { conversation: 'graph', set })).toEqual([
      expect.objectContaining({ outcome: 'accepted' }),
    ]);
  });
  expect(summary).toMatchObject({ failed: 0 });
  // each of the 40 functions was judged once by the good model
  const good = judged.filter((j) => j.endsWith(':good')).map((j) => Number(j.split(':')[0]));
  expect(good.sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i));
});

it('a step that gave up on unexpected errors waits for a retry like any failed step', async () => {
  const taskQueue = 'gave-up';
  const log: MockLog = { calls: [], failures: new Map() };
  let thrown = 0;
  const ws = await workers(taskQueue, log, {
    backTranslateActivity: async (input) => {
      if (thrown++ === 0)
        throw ApplicationFailure.create({
          message: 'Unterminated string (gave up after 10 unexpected failures in 21 attempts)',
          type: 'UnexpectedError',
          nonRetryable: true,
        });
      return { query: `query ${input.turnIndex + 1}`, usage: USAGE };
    },
  });
  const input = conversationInput(taskQueue, { id: 'gave-up/conv-00000' });
  const result = await runUntil(
    ws,
    (async () => {
      const handle = await ts.env.client.workflow.start(conversation, {
        taskQueue,
        workflowId: input.id,
        args: [input],
      });
      const status = await until('waiting', async () => {
        const s = await handle.query(conversationStatusQuery);
        return s.waiting ? s : undefined;
      });
      expect(status.failure).toMatchObject({ stage: 'back-translate', type: 'UnexpectedError' });
      await retryWaiting(ts.env.client, 'gave-up', { conversation: input.id, set: {} });
      return handle.result();
    })(),
  );
  expect(result).toMatchObject({ status: 'completed', retried: 1 });
});

/** A run of `conversations` items with `role` on provider p's `model` (the other roles offline). */
function runWith(
  taskQueue: string,
  runId: string,
  conversations: number,
  role: 'teacher' | 'dependency_judge',
  model: string,
): RunInput {
  const input = runInput(taskQueue, runId, conversations, 0);
  const llm = LlmConfig.parse({
    providers: { p: { kind: 'openai', baseURL: 'http://127.0.0.1:1/v1', apiKeyEnv: 'K' } },
    roles: { [role]: { provider: 'p', model } },
  });
  return { ...input, config: { ...input.config, llm } };
}
