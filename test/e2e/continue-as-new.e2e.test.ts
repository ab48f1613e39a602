import { readdirSync } from 'node:fs';
import path from 'node:path';
import { retryWaiting } from '../../src/client';
import { endedIndices, makeRunDir, prepare, readRecords, startRun } from '../helpers/run';
import { withClientAndFakeOpenAI } from '../helpers/temporal';
import { until } from '../helpers/cli';
import { progressQuery } from '../../src/contracts';

process.env.MAGNET_FAKE_KEY = 'sk-continue-as-new-test';
const ctx = withClientAndFakeOpenAI();

const N = 60;

/** A stable third of the requests (by their input, so a repair of a broken answer is broken too). */
const unlucky = (input: unknown): boolean =>
  [...JSON.stringify(input)].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 1009, 7) % 3 === 0;

describe('a run continuing as new every 50 children', () => {
  it('hands its waiting conversations over and ends with exactly the planned records', async () => {
    const { client, server } = ctx;
    const { home, configFile } = makeRunDir({
      seed: 11,
      conversations: N,
      // the config key, not a test-only path: two executions of the run (50 and 10 children)
      continueAsNewEvery: 50,
      concurrency: { conversations: 16 },
      failedTurns: { waitSeconds: 600 },
      llm: {
        providers: {
          fake: { kind: 'openai', baseURL: `${server.url}/v1`, apiKeyEnv: 'MAGNET_FAKE_KEY' },
        },
        // one role on the "model" (so turns can fail); every other step is offline, i.e. a local activity
        roles: { forth_translate: { provider: 'fake', model: 'm1' } },
      },
    });
    const runId = `can50-${Date.now()}`;
    const input = await prepare(home, configFile, runId);
    // the second turn of a third of the conversations gets junk until the "model" is fixed: those wait
    let broken = true;
    server.setScript((req) => {
      const inp = req.input as { turnIndex?: number };
      if (broken && req.role === 'forth_translate' && inp.turnIndex === 1 && unlucky(inp))
        return { content: 'no JSON here' };
      return undefined;
    });
    const run = await startRun(client, input);
    try {
      // every conversation started (so those waiting in the first execution were handed over), the broken ones
      // waiting
      let last: unknown;
      const p = await until(
        'all conversations started and the unfinished ones waiting',
        async () => {
          const q = await run.handle.query(progressQuery);
          last = q;
          return q.started === N && q.waiting > 0 && q.completed + q.failed + q.waiting === N ? q : undefined;
        },
        150_000,
      ).catch((e: unknown) => {
        throw new Error(`${(e as Error).message}; last progress: ${JSON.stringify(last)}`);
      });
      expect(p.failed).toBe(0);
      expect(readdirSync(path.join(input.outDir, 'failed'))).toHaveLength(p.waiting);
      broken = false;
      const outcomes = await retryWaiting(client, runId, { set: {} });
      expect(outcomes.filter((o) => o.outcome === 'accepted')).toHaveLength(p.waiting);

      const summary = await run.done;
      expect(summary.failed).toBe(0);
      // every planned conversation has its record: written, or emptied by the filters (filtered/)
      expect(endedIndices(input.outDir)).toEqual([...Array(N).keys()]);
      const { records } = await readRecords(input);
      expect(records).toHaveLength(summary.conversations);
      expect(readdirSync(path.join(input.outDir, 'failed'))).toEqual([]);

      let executions = 0;
      for await (const _ of client.workflow.list({ query: `WorkflowId = '${runId}'` })) executions++;
      expect(executions).toBe(2);

      // offline steps ran as local activities (markers), only the LLM role's step as a normal activity
      const history = await client.workflow.getHandle(`${runId}/conv-00000`).fetchHistory();
      const scheduled = new Set(
        (history.events ?? []).flatMap(
          (e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? [],
        ),
      );
      expect([...scheduled]).toEqual(['forthTranslateActivity']);
      // ... each with its summary, as the Temporal UI shows it
      const summaries = (history.events ?? []).flatMap((e) => {
        const data = e.markerRecordedEventAttributes ? e.userMetadata?.summary?.data : undefined;
        return data ? [JSON.parse(new TextDecoder().decode(data)) as string] : [];
      });
      expect(summaries[0]).toBe('plan the FSP');
      expect(summaries[summaries.length - 1]).toBe('write the record');
      expect(summaries.some((x) => / · back-translate$/.test(x))).toBe(true);
    } finally {
      await run.handle.terminate().catch(() => undefined);
      await run.stop();
    }
  });
});
