import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { costOf } from '../../src/core/cost';
import { estimateRun, type Estimate } from '../../src/estimate/estimate';
import { readLedger, type LedgerTotals } from '../../src/io/ledger';
import type { LedgerLine } from '../../src/llm/request';
import { formatEstimateVsActual } from '../../src/cli/estimate';
import { writeHtmlReport } from '../../src/cli/html-report';
import { startFakeOpenAI } from '../fakes';
import { makeRunDir, prepare, runToEnd, ROOT } from '../helpers/run';
import { withClientAndFakeOpenAI } from '../helpers/temporal';

process.env.MAGNET_FAKE_KEY = 'sk-fake-estimate';

/**
 * `magnet estimate` against the real thing: the same config is estimated (no model called), then run with
 * every role on the fake OpenAI server; per role, the estimate must be within ±25% of what the run's call
 * ledger says was paid, in requests, input tokens and output tokens.
 */
const ctx = withClientAndFakeOpenAI();

function config(extra: Record<string, unknown> = {}): object {
  return {
    seed: 13,
    conversations: 8,
    concurrency: { conversations: 4 },
    // every call played by the simulator, so its role is measured too
    execution: { mode: 'simulated' },
    llm: {
      providers: {
        fake: {
          kind: 'openai',
          baseURL: `${ctx.server.url}/v1`,
          apiKeyEnv: 'MAGNET_FAKE_KEY',
          requestsPerSecond: 200,
          tokensPerMinute: 5_000_000,
          timeoutMs: 20_000,
        },
      },
      default: { provider: 'fake', model: 'teacher-1', temperature: 0.2 },
      prices: { 'teacher-1': { input: 2.5, output: 10 } },
    },
    ...extra,
  };
}

/** Keeps the comparison where a person can read it (test-artifacts/, git-ignored). */
function keep(name: string, e: Estimate, paid: LedgerTotals): void {
  const dir = path.join(ROOT, 'test-artifacts');
  mkdirSync(dir, { recursive: true });
  const text = formatEstimateVsActual(e, paid).join('\n');
  writeFileSync(path.join(dir, `${name}.txt`), text + '\n');
  console.log(text);
}

function expectWithin(e: Estimate, paid: LedgerTotals, roles: readonly string[]): void {
  for (const role of roles) {
    const est = e.roles.find((r) => r.role === role);
    const act = paid.byRole[role];
    expect({ role, estimated: !!est, paid: !!act }).toEqual({ role, estimated: true, paid: true });
    for (const k of ['requests', 'inputTokens', 'outputTokens'] as const) {
      const a = act?.[k] as number;
      const x = est?.[k] as number;
      // the message names the role and figure when it fails
      expect({ role, k, ratio: Math.round((x / a) * 100) / 100, ok: Math.abs(x - a) <= 0.25 * a }).toEqual({
        role,
        k,
        ratio: expect.any(Number),
        ok: true,
      });
    }
  }
}

it('estimates every role within ±25% of the run through the fake OpenAI server', async () => {
  const { home, configFile } = makeRunDir(config());
  const input = await prepare(home, configFile, `est-${Date.now()}`);
  const estimate = await estimateRun(input);
  const summary = await runToEnd(ctx.client, input);
  expect(summary.failed).toBe(0);
  const paid = await readLedger(path.join(input.outDir, 'llm-calls.jsonl'));
  if (!paid) throw new Error('the run wrote no call ledger');
  keep('estimate-vs-actual', estimate, paid);
  const roles = [
    'dependency_judge',
    'nested_judge',
    'back_translate',
    'forth_translate',
    'simulate',
    'teacher',
  ];
  expect(Object.keys(paid.byRole).sort()).toEqual([...roles].sort());
  expectWithin(estimate, paid, roles);
  // and in total, cost included (one price for every role here)
  expect(Math.abs(estimate.total.costUsd - paid.costUsd)).toBeLessThanOrEqual(0.25 * paid.costUsd);
  // a sample of 3 of the 8 conversations, scaled to the run's planned turns, holds too
  const scaled = await estimateRun(input, { sample: 3 });
  expect(scaled.sampled).toBe(3);
  keep('estimate-vs-actual-sample3', scaled, paid);
  expectWithin(scaled, paid, roles);
});

it('estimates the student of mDPO within ±25% (its judge and negative teacher depend on its error rate)', async () => {
  const base = config({ seed: 21, negatives: { samples: 2 } }) as { llm: Record<string, unknown> };
  const { home, configFile } = makeRunDir({
    ...base,
    llm: { ...base.llm, roles: { student: { provider: 'fake', model: 'student-1' } } },
  });
  const input = await prepare(home, configFile, `est-dpo-${Date.now()}`);
  const estimate = await estimateRun(input);
  const summary = await runToEnd(ctx.client, input);
  expect(summary.failed).toBe(0);
  const paid = await readLedger(path.join(input.outDir, 'llm-calls.jsonl'));
  if (!paid) throw new Error('the run wrote no call ledger');
  keep('estimate-vs-actual-mdpo', estimate, paid);
  expectWithin(estimate, paid, ['back_translate', 'forth_translate', 'simulate', 'teacher', 'student']);
  expect(estimate.notes.some((n) => n.includes('student error rate'))).toBe(true);
});

it('prices the prompt cache: the ledger records the cached tokens the provider reports, the estimate is within 25%', async () => {
  // a provider that caches prompt prefixes as OpenAI does (from 1,024 tokens, in steps of 128)
  const server = await startFakeOpenAI({ promptCache: {} });
  try {
    const prices = {
      // teacher-1 with its listed cached price, student-1 at the default (half of input)
      'teacher-1': { input: 2.5, output: 10, cachedInput: 0.25 },
      'student-1': { input: 1, output: 4 },
    };
    const base = config({ seed: 21, negatives: { samples: 3 } }) as { llm: Record<string, unknown> };
    const provider = (base.llm.providers as { fake: Record<string, unknown> }).fake;
    const { home, configFile } = makeRunDir({
      ...base,
      llm: {
        ...base.llm,
        providers: { fake: { ...provider, baseURL: `${server.url}/v1` } },
        roles: { student: { provider: 'fake', model: 'student-1' } },
        prices,
      },
    });
    const input = await prepare(home, configFile, `est-cache-${Date.now()}`);
    const estimate = await estimateRun(input);
    const summary = await runToEnd(ctx.client, input);
    expect(summary.failed).toBe(0);
    const file = path.join(input.outDir, 'llm-calls.jsonl');
    const paid = await readLedger(file);
    if (!paid) throw new Error('the run wrote no call ledger');
    keep('estimate-vs-actual-prompt-cache', estimate, paid);

    // the ledger holds exactly what the provider reported, and prices it at cachedInput
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as LedgerLine);
    const reported = server.promptCache?.total ?? 0;
    expect(reported).toBeGreaterThan(0);
    expect(paid.cachedInputTokens).toBe(reported);
    for (const l of lines) {
      const price = prices[l.model as keyof typeof prices];
      const c = costOf(price, l, { kind: 'openai' });
      expect({ model: l.model, cost: l.costUsd }).toEqual({
        model: l.model,
        cost: expect.closeTo(c.costUsd, 12),
      });
      if ((l.cachedInputTokens ?? 0) > 0) {
        expect(l.cachedInputCostUsd).toBeCloseTo(c.cachedInputCostUsd, 12);
        expect(l.cacheSavedUsd).toBeCloseTo(c.cacheSavedUsd, 12);
      }
    }
    const full = lines.reduce(
      (a, l) =>
        a +
        costOf(prices[l.model as keyof typeof prices], { ...l, cachedInputTokens: 0 }, { kind: 'openai' })
          .costUsd,
      0,
    );
    expect(paid.cacheSavedUsd).toBeCloseTo(full - paid.costUsd, 9);
    // the student's samples share all but their number, its turns the tools: most of its input is cached
    const student = paid.byRole.student;
    expect(student?.cachedInputTokens ?? 0).toBeGreaterThan(0.5 * (student?.inputTokens ?? 0));

    // report.json and report.html show them
    expect(summary.ledger.cachedInputTokens).toBe(reported);
    expect(summary.ledger.byRole.student?.cachedInputTokens).toBe(student?.cachedInputTokens);
    const html = readFileSync(await writeHtmlReport(input.outDir), 'utf8');
    expect(html).toContain('id="prompt-cache"');
    expect(html).toContain('cached input tokens');

    // the estimate played the same cache over its sample: cached tokens and cost within 25% of the run
    const est = (role: string): Estimate['roles'][number] | undefined =>
      estimate.roles.find((r) => r.role === role);
    const within = (x: number, a: number): boolean => Math.abs(x - a) <= 0.25 * a;
    const figures = {
      cachedInputTokens: { estimated: estimate.total.cachedInputTokens, actual: paid.cachedInputTokens ?? 0 },
      studentCached: {
        estimated: est('student')?.cachedInputTokens ?? 0,
        actual: student?.cachedInputTokens ?? 0,
      },
      costUsd: { estimated: estimate.total.costUsd, actual: paid.costUsd },
      uncachedCostUsd: { estimated: estimate.total.uncachedCostUsd ?? 0, actual: full },
    };
    console.log(`prompt cache, estimate vs actual: ${JSON.stringify(figures)}`);
    for (const [k, f] of Object.entries(figures))
      expect({ k, ...f, ok: within(f.estimated, f.actual) }).toEqual({ k, ...f, ok: true });
    expectWithin(estimate, paid, ['back_translate', 'forth_translate', 'simulate', 'teacher', 'student']);
  } finally {
    await server.close();
  }
});
