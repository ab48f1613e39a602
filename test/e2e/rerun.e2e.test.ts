import { stableStringify } from '../../src/io/files';
import { magnetCli } from '../helpers/cli';
import { fakeLlm, makeRunDir, prepare, readRecords, runToEnd } from '../helpers/run';
import { temporalAddress, withClientAndFakeOpenAI } from '../helpers/temporal';

/**
 * `magnet rerun <run> --failed`: a conversation that ended failed (no wait for a retry configured) gets a new
 * execution after the run ended; it completes, the exports are written again with it, and no request that
 * was answered before is paid again (its finished turns come from the response cache).
 */
process.env.MAGNET_FAKE_KEY = 'sk-rerun';
const ctx = withClientAndFakeOpenAI();

it('turns a failed conversation into a completed one without paying its finished turns again', async () => {
  const { client, server } = ctx;
  const { home, configFile } = makeRunDir({
    seed: 17,
    conversations: 3,
    llm: fakeLlm(server),
  });
  const input = await prepare(home, configFile, `rerun-${Date.now()}`);
  // one conversation's second turn gets unusable answers (its repair too) until the test says otherwise
  let broken = true;
  let victim: string | undefined;
  server.setScript((req) => {
    const turn = (req.input as { turnIndex?: number }).turnIndex;
    if (!broken || req.role !== 'forth_translate' || turn !== 1) return undefined;
    const which = stableStringify((req.input as { query?: unknown }).query ?? req.input);
    victim ??= which;
    return which === victim || req.repair ? { content: 'no JSON here' } : undefined;
  });
  const first = await runToEnd(client, input);
  expect(first).toMatchObject({ conversations: 2, failed: 1, failures: { LlmInvalidOutput: 1 } });
  const paidBefore = server.successes().length;

  broken = false;
  const r = await magnetCli(['rerun', input.runId, '--failed'], {
    TEMPORAL_ADDRESS: temporalAddress(),
    MAGNET_HOME: home,
  });
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: expect.any(String) as unknown });
  expect(r.stdout).toMatch(/rerunning 1 failed conversation\(s\)/);
  expect(r.stdout).toMatch(/conv-\d+: completed/);
  expect(r.stdout).toContain('3 conversations written, 0 failed');
  const { records } = await readRecords(input);
  expect(records).toHaveLength(3);
  // the rerun asked only for what the failed step and the steps after it needed
  const paidByRerun = server.successes().length - paidBefore;
  console.log(`rerun: ${paidByRerun} requests paid (the run paid ${paidBefore})`);
  expect(paidByRerun).toBeGreaterThan(0);
  const ok = server.log.filter((e) => e.outcome === 'ok').map((e) => e.bodyHash);
  expect(ok.length).toBe(new Set(ok).size);

  // nothing failed is left: a second rerun has nothing to do
  const again = await magnetCli(['rerun', input.runId, '--failed'], {
    TEMPORAL_ADDRESS: temporalAddress(),
    MAGNET_HOME: home,
  });
  expect(again.code).toBe(0);
  expect(again.stdout).toContain(`nothing to rerun: no conversation of ${input.runId} ended failed`);
}, 300_000);
