import { completeJson } from '../../src/llm/request';
import { coolDown, parseDuration, recordSpend, resetLimiter, waitTime } from '../../src/llm/limiter';
import type { TurnContext } from '../../src/roles/context';
import { buildPrompt, ROLES, runRole } from '../../src/roles';
import { turnTask } from '../../src/roles/common';
import { startFakeOpenAI, startFakeGemini, type FakeServer } from '../fakes';
import {
  backTranslateCheck as check,
  EMPTY_TASK as task,
  failureOf as failure,
} from '../helpers/llm-answers';
import { fakeServerRole as role } from '../helpers/llm-role';
import { examplePool } from '../helpers/pools';

const prompt = buildPrompt('back_translate', task);

describe('LLM client against fake servers (real SDKs over HTTP)', () => {
  let server: FakeServer;
  beforeEach(async () => {
    resetLimiter();
    server = await startFakeOpenAI();
  });
  afterEach(async () => server.close());

  it('answers, counts usage and cost, and answers the same request from the cache', async () => {
    server.setScript(() => ({ content: JSON.stringify({ query: 'Book me a flight.' }) }));
    const r = role(server);
    const a = await completeJson(r, prompt, check);
    expect(a.value.query).toBe('Book me a flight.');
    expect(a.usage.requests).toBe(1);
    expect(a.usage.costUsd).toBeCloseTo((a.usage.inputTokens + a.usage.outputTokens) / 1e6, 9);
    const b = await completeJson(r, prompt, check);
    expect(b.value).toEqual(a.value);
    expect(b.usage).toEqual({ requests: 0, cached: 1, inputTokens: 0, outputTokens: 0, costUsd: 0 });
    expect(server.log).toHaveLength(1);
    const nocache = await completeJson({ ...r, cache: false }, prompt, check);
    expect(nocache.usage.requests).toBe(1);
    expect(server.log).toHaveLength(2);
  });

  it('repairs an invalid answer once, then fails for good with the raw answers', async () => {
    let n = 0;
    server.setScript((req) => ({ content: req.repair ? '{"query": "Fixed."}' : `{"query": ${n++}` }));
    const fixed = await completeJson(role(server), prompt, check);
    expect(fixed.value.query).toBe('Fixed.');
    expect(fixed.usage.requests).toBe(2);
    server.setScript(() => ({ content: 'not json at all' }));
    const f = await failure(
      completeJson(role(server), buildPrompt('back_translate', { ...task, turnIndex: 3 }), check),
    );
    expect(f.type).toBe('LlmInvalidOutput');
    expect(f.nonRetryable).toBe(true);
    expect((f.details?.[0] as { raw: string }).raw).toBe('not json at all');
  });

  it('repairs a hallucinated function name in forth-translation', async () => {
    const pool = examplePool();
    const def = pool.find((f) => f.name === 'get_stock_price');
    if (!def) throw new Error('example pool changed');
    const ctx: TurnContext = {
      seed: 1,
      turnIndex: 0,
      turn: { functions: [{ name: def.name, via: 'walk' }], labels: ['walk'] },
      defs: [def],
      history: [],
      previousQueries: [],
    };
    server.setScript((req) =>
      req.repair
        ? { content: JSON.stringify({ calls: [{ name: 'get_stock_price', arguments: { symbol: 'AAPL' } }] }) }
        : {
            content: JSON.stringify({ calls: [{ name: 'get_stock_quote', arguments: { symbol: 'AAPL' } }] }),
          },
    );
    const r = await runRole(
      { ...role(server), role: 'forth_translate' },
      ROLES.forth_translate,
      { ...turnTask(ctx), query: 'What is Apple trading at?' },
      ctx.seed,
    );
    expect(r.value).toMatchObject([
      { id: 'call_1_1', name: 'get_stock_price', arguments: { symbol: 'AAPL' } },
    ]);
    expect(server.log).toHaveLength(2);
  });

  it('turns 429 into a retryable failure with the server’s Retry-After, and 400 into a final one', async () => {
    server.setScript(() => ({
      status: 429,
      headers: { 'retry-after': '3' },
      body: { error: { message: 'slow down' } },
    }));
    const f = await failure(completeJson(role(server), prompt, check));
    expect(f.type).toBe('LlmRateLimited');
    expect(f.nonRetryable).toBe(false);
    expect(Number(f.nextRetryDelay)).toBeGreaterThanOrEqual(3000);
    expect(Number(f.nextRetryDelay)).toBeLessThan(3600);
    // and every later call to that provider waits for the cool-down
    expect(waitTime('p', 10, undefined, Date.now())).toBeGreaterThan(2000);
    resetLimiter();
    server.setScript(() => ({ status: 400, body: { error: { message: 'bad model' } } }));
    const g = await failure(completeJson(role(server), prompt, check));
    expect(g.type).toBe('LlmRejected');
    expect(g.nonRetryable).toBe(true);
  });

  it('times out a hanging server as a transient failure', async () => {
    server.setScript(() => ({ hang: true }));
    const f = await failure(completeJson(role(server, 'openai', { timeoutMs: 300 }), prompt, check));
    expect(['LlmUnavailable']).toContain(f.type);
    expect(f.nonRetryable).toBe(false);
  });

  it('names a missing key variable without revealing anything', async () => {
    const r = { ...role(server), apiKeyEnv: 'MAGNET_NO_SUCH_KEY' };
    const f = await failure(completeJson(r, prompt, check));
    expect(f.message).toContain('environment variable MAGNET_NO_SUCH_KEY');
    expect(f.nonRetryable).toBe(true);
  });

  it('Gemini: 429 carries the RetryInfo delay', async () => {
    const gem = await startFakeGemini();
    try {
      gem.setFaults({ rate429: 1, retryAfterSeconds: 2 });
      const f = await failure(completeJson(role(gem, 'gemini'), prompt, check));
      expect(f.type).toBe('LlmRateLimited');
      expect(Number(f.nextRetryDelay)).toBeGreaterThanOrEqual(2000);
    } finally {
      await gem.close();
    }
  });
});

describe('token limiter', () => {
  beforeEach(() => resetLimiter());
  it('parses rate-limit durations', () => {
    expect(parseDuration('1s')).toBe(1000);
    expect(parseDuration('6m0s')).toBe(360_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('20')).toBe(20_000);
    expect(parseDuration('soon')).toBeUndefined();
  });
  it('waits when the minute budget is spent, until enough of the window expires', () => {
    const now = 1_000_000;
    expect(waitTime('x', 500, 1000, now)).toBe(0);
    recordSpend('x', 800, now);
    expect(waitTime('x', 100, 1000, now + 1000)).toBe(0);
    expect(waitTime('x', 500, 1000, now + 1000)).toBe(59_000);
    expect(waitTime('x', 500, 1000, now + 61_000)).toBe(0);
    coolDown('x', now + 70_000);
    expect(waitTime('x', 1, undefined, now + 65_000)).toBe(5000);
  });
});
