import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { costOf, DEFAULT_CACHED_INPUT_SHARE } from '../../src/core/cost';
import { addUsage, NO_USAGE, type Usage } from '../../src/core/usage';
import { cachedByRule, PrefixCache, PROMPT_CACHE_RULES } from '../../src/estimate/prefix-cache';
import { readLedger } from '../../src/io/ledger';
import { ledgerLine, paidAnswer } from '../../src/llm/request';
import { parseInputBlock } from '../../src/llm/protocol';
import { readReportData } from '../../src/report/data';
import { renderReport } from '../../src/report/html';
import { formatCacheCost, formatTokens } from '../../src/cli/report';
import { buildPrompt } from '../../src/roles';
import { SHARED_FIRST, sharedFirst } from '../../src/roles/layout';

const PRICE = { input: 2, output: 8 };

describe('cost of cached input and reasoning tokens', () => {
  it('prices cached input at cachedInput, or at the provider kind’s smallest published discount', () => {
    const t = { inputTokens: 1e6, outputTokens: 1e6, cachedInputTokens: 4e5 };
    // 600k at $2 + 400k at $1 (OpenAI: half of input) + 1M at $8
    expect(costOf(PRICE, t, { kind: 'openai' })).toEqual({
      costUsd: 1.2 + 0.4 + 8,
      cachedInputCostUsd: 0.4,
      cacheSavedUsd: 0.4,
    });
    // Gemini: a quarter of input
    expect(costOf(PRICE, t, { kind: 'gemini' }).costUsd).toBeCloseTo(1.2 + 0.2 + 8, 12);
    expect(DEFAULT_CACHED_INPUT_SHARE).toEqual({ openai: 0.5, gemini: 0.25 });
    // configured: gpt-5-like 10%
    const c = costOf({ ...PRICE, cachedInput: 0.2 }, t, { kind: 'openai' });
    expect(c.costUsd).toBeCloseTo(1.2 + 0.08 + 8, 12);
    expect(c.cachedInputCostUsd).toBeCloseTo(0.08, 12);
    expect(c.cacheSavedUsd).toBeCloseTo(0.72, 12);
  });

  it('gives a batch answer’s cached input the batch price with the same discount, and caps cached tokens', () => {
    const t = { inputTokens: 1e6, outputTokens: 0, cachedInputTokens: 1e6 };
    // batch input $1 (half), cached at half of that
    expect(costOf(PRICE, t, { kind: 'openai', batch: true }).costUsd).toBeCloseTo(0.5, 12);
    expect(costOf({ ...PRICE, cachedInput: 0.5 }, t, { kind: 'openai', batch: true }).costUsd).toBeCloseTo(
      0.25,
      12,
    );
    // more cached than input (a provider's rounding): never below the input's own cost
    expect(costOf(PRICE, { ...t, cachedInputTokens: 2e6 }, { kind: 'openai' }).costUsd).toBeCloseTo(1, 12);
    expect(costOf(undefined, t, { kind: 'openai' })).toEqual({
      costUsd: 0,
      cachedInputCostUsd: 0,
      cacheSavedUsd: 0,
    });
  });

  it('counts reasoning tokens as the output they are part of, once', () => {
    const r = { price: PRICE, kind: 'openai' as const };
    const plain = paidAnswer(r, { inputTokens: 1000, outputTokens: 500 });
    const thinking = paidAnswer(r, { inputTokens: 1000, outputTokens: 500, reasoningTokens: 400 });
    expect(thinking.usage.costUsd).toBe(plain.usage.costUsd);
    expect(thinking.usage).toMatchObject({ outputTokens: 500, reasoningTokens: 400, cachedInputTokens: 0 });
    const cached = paidAnswer(r, { inputTokens: 2048, outputTokens: 100, cachedInputTokens: 1536 });
    expect(cached.usage.costUsd).toBeCloseTo((512 * 2 + 1536 * 1 + 100 * 8) / 1e6, 15);
  });

  it('writes cached and reasoning tokens on every ledger line, their cost on lines with cached input', () => {
    const r = { role: 'teacher', providerName: 'p', model: 'm' };
    const { usage, cost } = paidAnswer(
      { price: PRICE, kind: 'openai' },
      { inputTokens: 2048, outputTokens: 100, cachedInputTokens: 1024, reasoningTokens: 60 },
    );
    expect(ledgerLine(r, 'k'.repeat(64), usage, undefined, cost)).toEqual({
      role: 'teacher',
      provider: 'p',
      model: 'm',
      request: 'k'.repeat(16),
      requests: 1,
      cached: 0,
      inputTokens: 2048,
      outputTokens: 100,
      costUsd: usage.costUsd,
      cachedInputTokens: 1024,
      reasoningTokens: 60,
      cachedInputCostUsd: 1024 / 1e6,
      cacheSavedUsd: 1024 / 1e6,
    });
    const none = paidAnswer({ price: PRICE, kind: 'openai' }, { inputTokens: 10, outputTokens: 1 });
    const line = ledgerLine(r, 'k'.repeat(64), none.usage, undefined, none.cost);
    expect(line).toMatchObject({ cachedInputTokens: 0, reasoningTokens: 0 });
    expect(line).not.toHaveProperty('cachedInputCostUsd');
  });
});

describe('usage of earlier releases', () => {
  it('adds usage without cached or reasoning tokens as before, and with them as numbers', () => {
    const old: Usage = { requests: 1, cached: 0, inputTokens: 10, outputTokens: 2, costUsd: 1 };
    expect(addUsage(NO_USAGE, old)).toEqual(old);
    expect(addUsage(old, { ...old, cachedInputTokens: 4, reasoningTokens: 1 })).toEqual({
      requests: 2,
      cached: 0,
      inputTokens: 20,
      outputTokens: 4,
      costUsd: 2,
      cachedInputTokens: 4,
      reasoningTokens: 1,
    });
  });

  it('reads a ledger whose earlier lines have no cached or reasoning tokens', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'magnet-ledger-'));
    const file = path.join(dir, 'llm-calls.jsonl');
    const { usage, cost } = paidAnswer(
      { price: PRICE, kind: 'openai' },
      { inputTokens: 3000, outputTokens: 200, cachedInputTokens: 2048, reasoningTokens: 50 },
    );
    writeFileSync(
      file,
      [
        // a line of an earlier release
        {
          role: 'teacher',
          provider: 'p',
          model: 'm',
          requests: 1,
          cached: 0,
          inputTokens: 100,
          outputTokens: 10,
          costUsd: 0.001,
        },
        ledgerLine(
          { role: 'teacher', providerName: 'p', model: 'm' },
          'x'.repeat(64),
          usage,
          undefined,
          cost,
        ),
      ]
        .map((l) => JSON.stringify(l))
        .join('\n') + '\n{"torn',
    );
    const totals = await readLedger(file);
    expect(totals).toMatchObject({
      requests: 2,
      inputTokens: 3100,
      cachedInputTokens: 2048,
      reasoningTokens: 50,
      outputTokens: 210,
    });
    expect(totals?.costUsd).toBeCloseTo(0.001 + usage.costUsd, 12);
    expect(totals?.cachedInputCostUsd).toBeCloseTo(2048 / 1e6, 12);
    expect(totals?.cacheSavedUsd).toBeCloseTo(2048 / 1e6, 12);
    expect(totals?.byRole.teacher?.cachedInputTokens).toBe(2048);
    if (!totals) throw new Error('no totals');
    expect(formatTokens(totals)).toBe('3100 in (2048 cached) / 210 out (50 reasoning) tokens');
    expect(formatCacheCost(totals)).toBe('; cached input $0.0020, saved $0.0020');
    expect(formatTokens({ ...NO_USAGE, inputTokens: 5, outputTokens: 1 })).toBe('5 in / 1 out tokens');

    // the HTML report shows them too, per role and model, with their price
    const data = await readReportData(dir);
    expect(data.usage).toEqual([
      expect.objectContaining({
        role: 'teacher',
        inputTokens: 3100,
        cachedInputTokens: 2048,
        reasoningTokens: 50,
        cachedInputCostUsd: 2048 / 1e6,
      }),
    ]);
    const html = renderReport(data);
    expect(html).toContain('cached input tokens');
    expect(html).toContain('reasoning tokens');
    expect(html).toMatch(/id="prompt-cache">prompt cache: 2,048 of 3,100 input tokens \(66\.1%\)/);
  });
});

describe('the providers’ prompt cache, played by the estimate', () => {
  it('finds the longest prefix shared with any earlier request, cut at the message that differs', () => {
    const c = new PrefixCache();
    expect(c.shared(['sys', 'user one'])).toEqual([]);
    expect(c.shared(['sys', 'user two'])).toEqual(['sys', 'user ']);
    expect(c.shared(['other', 'x'])).toEqual([]);
    expect(c.shared(['sys', 'user one and more'])).toEqual(['sys', 'user one']);
    expect(c.shared(['sy'])).toEqual(['sy']);
  });

  it('counts cached tokens by the provider’s rule', () => {
    expect(cachedByRule(PROMPT_CACHE_RULES.openai, 1023)).toBe(0);
    expect(cachedByRule(PROMPT_CACHE_RULES.openai, 1024)).toBe(1024);
    expect(cachedByRule(PROMPT_CACHE_RULES.openai, 1300)).toBe(1280);
    expect(cachedByRule(PROMPT_CACHE_RULES.gemini, 2047)).toBe(0);
    expect(cachedByRule(PROMPT_CACHE_RULES.gemini, 2050)).toBe(2050);
  });
});

describe('prompts laid out to share their prefix', () => {
  const fn = {
    name: 'get_a',
    description: 'gets a',
    parameters: { type: 'object' as const, properties: { id: { type: 'string' } }, required: ['id'] },
  };
  const call = { id: 'call_1_1', name: 'get_a', arguments: { id: 'x' }, output: { a: 1 } };

  it('puts the tools, then the earlier calls and queries, before the turn’s specifics', () => {
    expect(SHARED_FIRST).toEqual(['tools', 'history', 'previousQueries']);
    expect(
      Object.keys(sharedFirst({ query: 'q', previousQueries: [], turnIndex: 1, tools: [] }) as object),
    ).toEqual(['tools', 'previousQueries', 'query', 'turnIndex']);
    expect(sharedFirst([1, 2])).toEqual([1, 2]);
    const task = {
      turnIndex: 1,
      query: 'and now b',
      previousQueries: ['get a for x'],
      history: [call],
      tools: [fn],
      sample: 0,
    };
    const p = buildPrompt('student', task);
    expect(p.user.indexOf('"tools"')).toBeLessThan(p.user.indexOf('"history"'));
    expect(p.user.indexOf('"history"')).toBeLessThan(p.user.indexOf('"previousQueries"'));
    expect(p.user.indexOf('"previousQueries"')).toBeLessThan(p.user.indexOf('"query"'));
    // the same task, only in another order
    expect(parseInputBlock(p.user)).toEqual(task);
  });

  it('makes the requests of one turn’s samples, and of a conversation’s turns, share their start', () => {
    const turn = (k: number, h: number): string =>
      buildPrompt('student', {
        turnIndex: h,
        query: `query ${h}`,
        previousQueries: Array.from({ length: h }, (_, i) => `query ${i}`),
        history: Array.from({ length: h }, (_, i) => ({ ...call, id: `call_${i + 1}_1` })),
        tools: [fn, { ...fn, name: 'get_b' }],
        sample: k,
      }).user;
    const shared = (a: string, b: string): number => {
      let i = 0;
      while (i < a.length && a[i] === b[i]) i++;
      return i;
    };
    // two samples of a turn: all but the sample number
    expect(shared(turn(0, 2), turn(1, 2))).toBe(turn(0, 2).lastIndexOf('"sample":') + '"sample":'.length);
    // the next turn: the tools and every earlier call
    const next = turn(0, 3);
    expect(shared(turn(0, 2), next)).toBeGreaterThan(next.indexOf('"call_2_1"'));
  });
});
