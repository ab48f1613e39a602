import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { estimateRun, type Estimate } from '../../src/estimate/estimate';
import { readLedger, type LedgerTotals } from '../../src/io/ledger';
import { formatEstimateVsActual } from '../../src/cli/estimate';
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
