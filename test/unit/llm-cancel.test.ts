import { existsSync, readdirSync } from 'node:fs';
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { completeJson } from '../../src/llm/request';
import { buildPrompt } from '../../src/roles';
import { startFakeGemini, startFakeOpenAI, type FakeServer } from '../fakes';
import { fakeServerRole } from '../helpers/llm-role';

const SDK_TIMEOUT_MS = 30_000;

async function until(ok: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
}

const prompt = buildPrompt('back_translate', {
  turnIndex: 0,
  turn: { functions: [], labels: ['walk'] },
  functions: [],
  history: [],
  previousQueries: [],
});

describe.each([
  ['openai', startFakeOpenAI],
  ['gemini', startFakeGemini],
] as const)('a cancelled activity aborts its %s request (real HTTP)', (kind, start) => {
  let server: FakeServer;
  beforeEach(async () => {
    server = await start({ script: () => ({ hang: true }) });
  });
  afterEach(async () => server.close());

  it('rejects as cancelled at once and closes the connection, long before the SDK timeout', async () => {
    const r = fakeServerRole(server, kind, { timeoutMs: SDK_TIMEOUT_MS });
    const env = new MockActivityEnvironment();
    const outcome = env
      .run(() => completeJson(r, prompt, () => ({ ok: true, value: 'unused' })))
      .then(
        () => 'answered',
        (e: unknown) => e,
      );
    await until(() => server.log.length > 0, 5000);
    await new Promise((done) => setTimeout(done, 200));
    const cancelledAt = Date.now();
    env.cancel();
    const err = await outcome;
    // a cancellation for Temporal, not a retryable LlmUnavailable
    expect(err).toBeInstanceOf(CancelledFailure);
    expect(Date.now() - cancelledAt).toBeLessThan(1000);
    await until(() => server.log[0]?.abandonedAt !== undefined, 2000);
    expect(server.log).toHaveLength(1);
    expect(server.log[0]?.outcome).toBe('hang');
    expect((server.log[0]?.abandonedAt ?? Infinity) - cancelledAt).toBeLessThan(1000);
    // nothing was answered, so nothing was cached or paid for
    const cached = existsSync(r.cacheDir) ? readdirSync(r.cacheDir, { recursive: true }) : [];
    expect(cached.filter((f) => String(f).endsWith('.json'))).toEqual([]);
    expect(existsSync(r.ledgerFile)).toBe(false);
  });
});
