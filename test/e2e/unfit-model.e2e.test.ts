import { progressQuery, type RunProgress } from '../../src/contracts';
import { UNFIT_IN_A_ROW } from '../../src/llm/fitness';
import { magnetCli, until } from '../helpers/cli';
import { fakeLlm, makeRunDir, prepare, startRun } from '../helpers/run';
import { temporalAddress, withClientAndFakeOpenAI } from '../helpers/temporal';

/**
 * A model that cannot do the job stops the spending early (issue 25 item 8). Every role of the run is on a
 * "model" that answers every request with `{}`: the graph's judge requests fail validation after their repair,
 * the 20th in a row finds the judge unfit, and the run pauses, saying why in one line (the run's progress,
 * `magnet status`). No request is sent while it is paused; `magnet resume --set '*.model=m1'` (the built CLI)
 * retries the graph's failed requests with the new model and the run completes every item.
 */
process.env.MAGNET_FAKE_KEY = 'sk-unfit';
const ctx = withClientAndFakeOpenAI({
  script: (req) => ((req.body as { model?: string }).model === 'garbage' ? { content: '{}' } : undefined),
});

it('pauses within the threshold, says why in one line, and resumes with another model', async () => {
  const { client, server } = ctx;
  const { home, configFile } = makeRunDir({
    seed: 3,
    conversations: 10,
    concurrency: { conversations: 4 },
    llm: fakeLlm(server, { model: 'garbage' }),
  });
  const input = await prepare(home, configFile, `unfit-${Date.now()}`);
  const env = { TEMPORAL_ADDRESS: temporalAddress(), MAGNET_HOME: home };
  const started = Date.now();
  const run = await startRun(client, input);
  try {
    const paused = await until<RunProgress>('the run to pause', async () => {
      const p = await run.handle.query(progressQuery);
      if (process.env.DEBUG_UNFIT) console.log(JSON.stringify({ ...p, usage: undefined }), server.log.length);
      return p.paused ? p : undefined;
    });
    const pausedAfter = (Date.now() - started) / 1000;
    const atPause = server.log.length;
    expect(paused.phase).toBe('graph');
    expect(paused.completed + paused.failed).toBe(0);
    expect(paused.pause).toMatchObject({ role: 'dependency_judge', model: 'garbage' });
    expect(paused.pause?.reason).toMatch(
      /^role dependency_judge \(model garbage on fake\): \d+ answers in a row failed validation after their repair; commonest problem: field edges: Invalid input: expected array, received undefined$/,
    );
    // within the threshold's requests: 20 failed requests and their repairs, and what the judge's 8 lanes
    // had under way until the first failure saying so reached the graph (failures of lanes that ran at the same
    // time may reach it first: each of them says so too)
    expect(atPause).toBeGreaterThanOrEqual(2 * UNFIT_IN_A_ROW);
    expect(atPause).toBeLessThanOrEqual(2 * UNFIT_IN_A_ROW + 4 * 8);
    // paused, the spending stops: the lanes that were in flight end, and nothing else is asked
    await new Promise((r) => setTimeout(r, 2500));
    const settled = server.log.length;
    await new Promise((r) => setTimeout(r, 2500));
    expect(server.log.length).toBe(settled);
    const status = await magnetCli(['status', input.runId], env);
    expect(status.stdout).toContain('(PAUSED)');
    expect(status.stdout).toContain(`  paused: ${paused.pause?.reason}`);
    expect(status.stdout).toContain(`magnet resume ${input.runId} --set dependency_judge.model=<model>`);
    // another model for every role: the run goes on
    const resumed = await magnetCli(['resume', input.runId, '--set', '*.model=m1'], env);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`resume: sent to ${input.runId} with *.model=m1 (it had paused: role`);
    expect(resumed.stdout).toMatch(new RegExp(`^retrying ${input.runId}/graph: `, 'm'));
    const summary = await run.done;
    expect(summary.failed).toBe(0);
    expect(summary.conversations + (summary.emptied ?? 0)).toBe(10);
    console.log(
      `unfit model: paused after ${pausedAfter.toFixed(1)} s and ${atPause} requests (${settled} once the lanes in flight ended); ` +
        `resumed with *.model=m1: ${summary.conversations} written, ${summary.failed} failed; ${server.log.length} requests in all`,
    );
  } finally {
    // a run left paused would keep its workers (and this test) waiting
    await run.handle.cancel().catch(() => undefined);
    await run.stop();
  }
}, 600_000);
