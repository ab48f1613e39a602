import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { until } from '../helpers/cli';
import { fakeLlm, makeRunDir, prepare, startRun } from '../helpers/run';
import { withClientAndFakeOpenAI } from '../helpers/temporal';
import { conversationStatusQuery, retryTurnUpdate } from '../../src/contracts';
import { answer } from '../fakes';
import { noteInvalid, UNFIT_IN_A_ROW } from '../../src/llm/fitness';
import { progressQuery, resumeSignal } from '../../src/contracts';

/**
 * Records the histories of a released workflow version into test/histories/<version>/ (run it once per
 * release: `MAGNET_HISTORIES_VERSION=v3 npm run histories:record`). One run over the fake LLM holds every
 * kind of execution the replay test needs: the run continuing as new (batch 2), its buildGraph child (from
 * v3 on, with a judge request refused once, waiting and retried), a
 * conversation whose turn failed, waited and was retried, and conversations with mDPO negatives; from v6 on, that
 * turn's failure finds its role unfit, so the run pauses and is resumed with an override.
 */
const VERSION = process.env.MAGNET_HISTORIES_VERSION;

/** The offline answer with its first plain string argument replaced by a made-up one (first version only). */
function madeUpFirstValue(input: unknown): { content: string } | undefined {
  const task = input as {
    feedback?: unknown;
    functions: { name: string; parameters: { properties: Record<string, Record<string, unknown>> } }[];
  };
  if (task.feedback) return undefined;
  const out = answer('forth_translate', input) as {
    calls: { name: string; arguments: Record<string, unknown> }[];
  };
  for (const c of out.calls) {
    const props = task.functions.find((f) => f.name === c.name)?.parameters.properties ?? {};
    const plain = Object.keys(c.arguments).find((k) => {
      const p = props[k] ?? {};
      return typeof c.arguments[k] === 'string' && p.type === 'string' && !p.enum && !p.pattern && !p.format;
    });
    if (plain) {
      c.arguments[plain] = 'no-such-thing-0';
      return { content: JSON.stringify(out) };
    }
  }
  return undefined;
}
process.env.MAGNET_FAKE_KEY = 'sk-record-histories';
const ctx = withClientAndFakeOpenAI();

it(`records the histories of workflow version ${VERSION ?? '(set MAGNET_HISTORIES_VERSION)'}`, async () => {
  const { client, server } = ctx;
  if (!VERSION || !/^v\d+$/.test(VERSION)) throw new Error('set MAGNET_HISTORIES_VERSION=v<N>');
  // from v4 on, a run makes a mix of kinds: two multi-turn conversations (one fails a turn and waits), a
  // single, a parallel and an irrelevance item; the per-turn quality judge runs on every turn (offline rules)
  const items = Number(VERSION?.slice(1)) >= 4 ? 5 : 4;
  const { home, configFile } = makeRunDir({
    seed: 5,
    conversations: items,
    ...(items === 5 ? { mix: { multi_turn: 2, single: 1, parallel: 1, irrelevance: 1 } } : {}),
    concurrency: { conversations: 2 },
    failedTurns: { waitSeconds: 600 },
    negatives: { samples: 1 },
    llm: fakeLlm(server, { student: true }),
  });
  const runId = 'hist-run';
  const input = await prepare(home, configFile, runId);
  // from v6 on, the broken turn's failure finds forth_translate unfit: this process's workers count its answers,
  // and 19 failed ones are counted just before the broken turn's repair is answered, so the conversation pauses
  // the run and waits for its resume
  let unfitCounted = Number(VERSION?.slice(1)) < 6;
  const countUnfit = (): void => {
    if (unfitCounted) return;
    unfitCounted = true;
    for (let i = 1; i < UNFIT_IN_A_ROW; i++)
      noteInvalid(
        {
          ledgerFile: `${input.outDir}/llm-calls.jsonl`,
          role: 'forth_translate',
          providerName: 'fake',
          model: 'm1',
        },
        'field calls: Invalid input: expected array, received undefined',
      );
  };
  let broken = true;
  // from v3 on, the graph waits for a retry when a judge request is refused for good: the first one is
  let refusedJudge: string | undefined;
  let judgeBroken = true;
  server.setScript((req) => {
    if (req.role === 'dependency_judge' && judgeBroken) {
      const which = JSON.stringify(req.input);
      refusedJudge ??= which;
      return which === refusedJudge
        ? { status: 400, body: { error: { message: 'refused', type: 'invalid_request_error' } } }
        : undefined;
    }
    const turn = (req.input as { turnIndex?: number }).turnIndex;
    if (broken && req.role === 'forth_translate' && turn === 1) {
      if (req.repair) countUnfit();
      return { content: 'no JSON here' };
    }
    // from v5 on, a turn whose calls fail is written again: turn 1's first version names a thing that does
    // not exist (a plain string argument), so the tool refuses it and the turn is regenerated with feedback
    if (Number(VERSION?.slice(1)) >= 5 && req.role === 'forth_translate' && turn === 0)
      return madeUpFirstValue(req.input);
    return undefined;
  });
  const run = await startRun(client, input, { batch: 2 });
  const conv = (i: number): string => `${runId}/conv-0000${i}`;
  try {
    const graph = client.workflow.getHandle(`${runId}/graph`);
    await until('the graph waiting for a retry', async () =>
      (await graph.query(conversationStatusQuery)).waiting ? true : undefined,
    );
    judgeBroken = false;
    await graph.executeUpdate(retryTurnUpdate, { args: [{}] });
    await until('a conversation waiting', async () => {
      for (let i = 0; i < items; i++) {
        const s = await client.workflow
          .getHandle(conv(i))
          .query(conversationStatusQuery)
          .catch(() => undefined);
        if (s?.waiting) return true;
      }
      return undefined;
    });
    broken = false;
    // the run's workers stop when it ends, so the run's end (not the conversations' status) ends the loop
    let ended = false;
    void run.done.finally(() => (ended = true));
    await until(
      'the run done, the waiting conversations retried',
      async () => {
        // a run paused for an unfit role (v6 on) is resumed with an override, forwarded to its conversations
        const progress = await run.handle.query(progressQuery).catch(() => undefined);
        if (progress?.pause)
          await run.handle.signal(resumeSignal, { set: { 'forth_translate.temperature': '0' } });
        for (let i = 0; i < items && !ended; i++) {
          const h = client.workflow.getHandle(conv(i));
          const s = await h.query(conversationStatusQuery).catch(() => undefined);
          if (s?.waiting) await h.executeUpdate(retryTurnUpdate, { args: [{}] }).catch(() => undefined);
        }
        return ended ? true : undefined;
      },
      480_000,
    );
    expect((await run.done).conversations).toBe(items);
    const out = path.join(__dirname, VERSION);
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    let execution = 0;
    const executions = [];
    for await (const wf of client.workflow.list({ query: `WorkflowId STARTS_WITH '${runId}'` }))
      executions.push(wf);
    executions.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
    for (const wf of executions) {
      const history = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
      const name =
        wf.workflowId === runId ? `run-execution-${++execution}` : (wf.workflowId.split('/')[1] as string);
      writeFileSync(path.join(out, `${name}.json`), JSON.stringify({ workflowId: wf.workflowId, history }));
    }
  } finally {
    await run.handle.terminate().catch(() => undefined);
    await run.stop();
  }
}, 600_000);
