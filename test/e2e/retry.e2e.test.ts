import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { answer } from '../fakes';
import { fakeLlm, makeRunDir, prepare, readRecords, startRun } from '../helpers/run';
import { temporalAddress, withClientAndFakeOpenAI, workflowBundle } from '../helpers/temporal';
import { magnetCli, until } from '../helpers/cli';
import type { Role } from '../../src/llm/protocol';
import { conversationStatusQuery, progressQuery } from '../../src/contracts';

process.env.MAGNET_FAKE_KEY = 'sk-replay-test';
const ctx = withClientAndFakeOpenAI();

describe('retrying failed turns', () => {
  it('a turn failing for good waits; `magnet retry --failed` re-runs just that turn and the run completes', async () => {
    const { client, server } = ctx;
    const { home, configFile } = makeRunDir({
      seed: 5,
      conversations: 3,
      failedTurns: { waitSeconds: 600 },
      llm: fakeLlm(server),
    });
    const runId = `replay-${Date.now()}`;
    const input = await prepare(home, configFile, runId);
    // Turn 2 of every conversation gets junk from the "model"; turn 1's answers are remembered.
    const turn1 = new Map<string, string>();
    let broken = true;
    let turn1Requests = 0;
    server.setScript((req) => {
      const inp = req.input as { turnIndex?: number; previousQueries?: string[] };
      if (req.role === 'back_translate' && inp.turnIndex === 0) {
        turn1Requests++;
        turn1.set(JSON.stringify(inp), (answer(req.role as Role, req.input) as { query: string }).query);
      }
      if (broken && req.role === 'forth_translate' && inp.turnIndex === 1) {
        return { content: 'I would call some functions here.' };
      }
      return undefined;
    });
    // batch 1: the run continues as new after every conversation, so waiting conversations are handed over
    // to newer executions and must report back by signal
    const run = await startRun(client, input, { batch: 1 });
    const { handle, done, running } = run;
    try {
      // all conversations that reach turn 2 end up waiting, with the reason and raw answer recorded
      const waiting = await until('conversations waiting', async () => {
        const ids: string[] = [];
        for (let i = 0; i < 3; i++) {
          const s = await client.workflow.getHandle(`${runId}/conv-0000${i}`).query(conversationStatusQuery);
          if (s.waiting) ids.push(`${runId}/conv-0000${i}`);
          else if (s.stage !== 'done') return undefined;
        }
        return ids.length > 0 ? ids : undefined;
      });
      const status = await client.workflow.getHandle(waiting[0] as string).query(conversationStatusQuery);
      expect(status.failure).toMatchObject({ turn: 1, stage: 'forth-translate', type: 'LlmInvalidOutput' });
      // (forth_translate in tools mode: the text of an answer without tool calls, kept beside its calls)
      expect(status.failure?.raw).toBe('{"calls":[],"text":"I would call some functions here."}');
      const failedFiles = readdirSync(path.join(input.outDir, 'failed'));
      expect(failedFiles.length).toBe(waiting.length);
      const turn1Before = turn1Requests;
      const progress = await until('the run to count them', async () => {
        const p = await handle.query(progressQuery);
        return p.waiting === waiting.length ? p : undefined;
      });
      expect(progress.phase).toBe('conversations');

      // the CLI status shows them, then the model is "fixed" and the CLI retries
      const env = { ...process.env, TEMPORAL_ADDRESS: temporalAddress(), MAGNET_HOME: home };
      const st = await magnetCli(['status', runId], env);
      expect(st.stdout).toContain(`${waiting.length} waiting for retry`);
      expect(st.stdout).toContain('LlmInvalidOutput');
      broken = false;
      // the first one plainly (same model: its bad answer must not come back from the cache), the rest
      // with an override
      const [first, ...rest] = waiting as [string, ...string[]];
      const r1 = await magnetCli(
        ['retry', runId, '--failed', '--conversation', first.split('/')[1] as string],
        env,
      );
      expect(r1.stderr).toBe('');
      expect(r1.code).toBe(0);
      // the conversation's update answered which step runs again
      expect(r1.stdout.trim().split('\n')).toEqual([
        `retrying ${first}: turn 2 forth-translate runs again (was LlmInvalidOutput: ${status.failure?.message})`,
      ]);
      // asked again, the conversation refuses: its step is already running again (or it is done)
      const again = await magnetCli(
        ['retry', runId, '--failed', '--conversation', first.split('/')[1] as string],
        env,
      );
      expect(again.code).toBe(1);
      expect(again.stdout).toMatch(
        new RegExp(`^rejected ${first}: .*(is not waiting for a retry|completed)`, 'm'),
      );
      // the rest, with an override
      const r = await magnetCli(['retry', runId, '--failed', '--set', 'forth_translate.model=m2'], env);
      expect(r.stderr).toBe('');
      // nothing left waiting is no error either
      expect(r.code).toBe(0);
      if (rest.length === 0) expect(r.stdout).toMatch(/^nothing to retry: no conversation of /);
      for (const id of rest) expect(r.stdout).toContain(`retrying ${id}: turn 2 forth-translate runs again`);

      const summary = await done;
      await running;
      // a finished conversation rejects a retry, and says why
      const late = await magnetCli(
        ['retry', runId, '--failed', '--conversation', first.split('/')[1] as string],
        env,
      );
      expect(late.code).toBe(1);
      expect(late.stdout).toMatch(new RegExp(`^rejected ${first}: .*completed`, 'm'));
      expect(summary.conversations).toBe(3);
      expect(summary.failed).toBe(0);
      expect(readdirSync(path.join(input.outDir, 'failed'))).toEqual([]);
      const { records } = await readRecords(input);
      expect(records.map((x) => x.index)).toEqual([0, 1, 2]);
      for (const rec of records) {
        // turn 1 was not re-generated: its query is the one answered before the failure (unless the grounding
        // removed the turn: its calls failed)
        const first = rec.turns.find((t) => t.index === 0);
        if (first) expect([...turn1.values()]).toContain(first.query);
      }
      // after the replay, turn 1 was never asked for again: only the failed turn and later ones ran
      expect(turn1Requests).toBe(turn1Before);
      expect(
        server.log.filter((e) => e.role === 'forth_translate' && e.status === 200).length,
      ).toBeGreaterThan(0);
      for (const id of waiting) {
        const rec = records.find((x) => `${runId}/conv-${String(x.index).padStart(5, '0')}` === id);
        expect(rec?.provenance.models.forth_translate).toBe(id === first ? 'fake/m1' : 'fake/m2');
      }
      const progressRetried = summary.usage.requests > 0;
      expect(progressRetried).toBe(true);

      let executions = 0;
      for await (const wf of client.workflow.list({ query: `WorkflowId = '${runId}'` })) {
        await Worker.runReplayHistory(
          { workflowBundle: await workflowBundle() },
          await client.workflow.getHandle(runId, wf.runId).fetchHistory(),
          runId,
        );
        executions++;
      }
      expect(executions).toBeGreaterThanOrEqual(3);
      // the conversation histories, with their retry update, replay deterministically
      for (const id of waiting) {
        const h = await client.workflow.getHandle(id).fetchHistory();
        expect(JSON.stringify(h)).toContain('retryTurn');
        await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, h, id);
      }
      expect(existsSync(path.join(input.outDir, 'sft.openai.jsonl'))).toBe(true);
      expect(
        readFileSync(path.join(input.outDir, 'sft.openai.jsonl'), 'utf8').trim().split('\n'),
      ).toHaveLength(3);
    } finally {
      await handle.terminate().catch(() => undefined);
      await run.stop();
    }
  });
});
