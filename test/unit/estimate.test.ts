import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildGraphOffline, GraphConfig, selectCandidates } from '../../src/core/graph';
import { estimateRun, readEstimate, writeEstimate, type Estimate } from '../../src/estimate/estimate';
import { countPrompt, countText, loadTokenizers, tokenizerFor } from '../../src/estimate/tokens';
import { formatEstimate } from '../../src/cli/estimate';
import { examplePool } from '../helpers/pools';
import { memoryEntry } from '../helpers/mcp';
import { makeRunDir, prepare } from '../helpers/run';

/** A config whose roles all use one (never contacted) OpenAI-compatible provider. */
function llmConfig(extra: Record<string, unknown> = {}, llm: Record<string, unknown> = {}): object {
  return {
    seed: 5,
    conversations: 40,
    execution: { mode: 'simulated' },
    llm: {
      providers: {
        p: {
          kind: 'openai',
          baseURL: 'http://127.0.0.1:9/v1',
          apiKeyEnv: 'NOT_USED',
          requestsPerSecond: 2,
          tokensPerMinute: 100_000,
        },
      },
      default: { provider: 'p', model: 'gpt-4o-mini' },
      prices: { 'gpt-4o-mini': { input: 0.15, output: 0.6 } },
      ...llm,
    },
    ...extra,
  };
}

async function estimateOf(config: object, sample?: number, id = 'est'): Promise<Estimate> {
  const { home, configFile } = makeRunDir(config);
  const input = await prepare(home, configFile, id);
  return estimateRun(input, { sample });
}

const role = (e: Estimate, name: string): Estimate['roles'][number] => {
  const r = e.roles.find((x) => x.role === name);
  if (!r) throw new Error(`no ${name} in the estimate`);
  return r;
};

describe('magnet estimate', () => {
  it('counts nothing for an all-offline config', async () => {
    const e = await estimateOf({ conversations: 10 });
    expect(e.roles).toEqual([]);
    expect(e.total.requests).toBe(0);
    expect(formatEstimate(e)).toContain('every role is offline');
  });

  it('counts one judge request per function with candidates and per-turn requests from the plans', async () => {
    const e = await estimateOf(llmConfig({ conversations: 12 }), 12);
    const pool = examplePool();
    const withCands = pool.filter((f) => selectCandidates(f, pool, GraphConfig.parse({})).length > 0);
    expect(role(e, 'dependency_judge').requests).toBe(withCands.length);
    const turns = Math.round(e.turnsPerConversation * 12);
    // every turn is back-translated and distilled (identical requests, e.g. two conversations opening
    // alike, are paid once: the cache answers the second); empty turns are not forth-translated
    expect(role(e, 'back_translate').requests).toBeLessThanOrEqual(turns);
    expect(role(e, 'back_translate').requests).toBeGreaterThan(turns * 0.9);
    expect(role(e, 'teacher').requests).toBeLessThanOrEqual(turns);
    expect(role(e, 'teacher').requests).toBeGreaterThan(turns * 0.9);
    expect(role(e, 'forth_translate').requests).toBeLessThanOrEqual(turns);
    expect(role(e, 'forth_translate').requests).toBeGreaterThan(turns / 2);
    // simulated mode: every call is played by the simulator
    expect(role(e, 'simulate').requests).toBeGreaterThan(0);
    // the nested judge is paid once per distinct function (cached), so fewer requests than turns
    expect(role(e, 'nested_judge').requests).toBeLessThanOrEqual(pool.length);
    for (const r of e.roles) {
      expect(r.tokenizer).toBe('o200k_base');
      expect(r.inputTokens).toBeGreaterThan(r.requests * 50);
      expect(r.outputTokens).toBeGreaterThan(0);
      expect(r.costUsd).toBeCloseTo((r.inputTokens * 0.15 + r.outputTokens * 0.6) / 1e6, 8);
    }
    expect(e.durationSeconds).toBeGreaterThanOrEqual(e.total.requests / 2);
  });

  it('scales a sample to the run: 6 of 60 conversations give figures within 25% of simulating all 60', async () => {
    const all = await estimateOf(llmConfig({ conversations: 60 }), 60, 'all');
    const some = await estimateOf(llmConfig({ conversations: 60 }), 6, 'some');
    expect(some.sampled).toBe(6);
    for (const r of all.roles) {
      const s = role(some, r.role);
      for (const k of ['requests', 'inputTokens', 'outputTokens'] as const)
        expect(Math.abs(s[k] - r[k]) / r[k]).toBeLessThan(0.25);
    }
  });

  it('prices roles in batch mode at the batch price (half when not given) and skips judging a given graph', async () => {
    const { home } = makeRunDir({});
    const graphFile = path.join(home, 'graph.json');
    writeFileSync(graphFile, JSON.stringify(buildGraphOffline(examplePool(), GraphConfig.parse({}))));
    const e = await estimateOf(
      llmConfig({ conversations: 8, graph: graphFile }, { roles: { teacher: { batch: true } } }),
    );
    expect(e.graph).toBe('given');
    expect(e.roles.find((r) => r.role === 'dependency_judge')).toBeUndefined();
    const t = role(e, 'teacher');
    expect(t.batch).toBe(true);
    expect(t.costUsd).toBeCloseTo((t.inputTokens * 0.075 + t.outputTokens * 0.3) / 1e6, 8);
    expect(e.batchRoles).toEqual(['teacher']);
  });

  it("assumes the cached share the sample's own requests show, and prices it at cachedInput", async () => {
    // the student's samples of a turn share all but their sample number, and a conversation's turns its tools
    const config = (cachedInput?: number): object =>
      llmConfig(
        { conversations: 10, negatives: { samples: 2 } },
        {
          roles: { student: { provider: 'p', model: 'gpt-4o-mini' } },
          prices: { 'gpt-4o-mini': { input: 0.15, output: 0.6, ...(cachedInput ? { cachedInput } : {}) } },
        },
      );
    const e = await estimateOf(config(), 10, 'cached');
    const s = role(e, 'student');
    expect(s.cachedInputTokens).toBeGreaterThan(0.3 * s.inputTokens);
    expect(s.cachedInputTokens).toBeLessThan(s.inputTokens);
    // the default: half the input price (OpenAI's smallest published discount)
    expect(s.costUsd).toBeCloseTo(
      ((s.inputTokens - s.cachedInputTokens) * 0.15 + s.cachedInputTokens * 0.075 + s.outputTokens * 0.6) /
        1e6,
      10,
    );
    expect(s.uncachedCostUsd).toBeCloseTo((s.inputTokens * 0.15 + s.outputTokens * 0.6) / 1e6, 10);
    expect(e.total.cachedInputTokens).toBe(e.roles.reduce((n, r) => n + r.cachedInputTokens, 0));
    expect(e.notes.some((n) => /^prompt cache: \d+% of input tokens/.test(n))).toBe(true);
    expect(e.notes.some((n) => n.includes('set llm.prices.gpt-4o-mini.cachedInput'))).toBe(true);
    expect(formatEstimate(e)).toContain('of them cached');
    // a configured cached price is used, and said no more
    const priced = await estimateOf(config(0.015), 10, 'cached-priced');
    const p = role(priced, 'student');
    expect(p.cachedInputTokens).toBe(s.cachedInputTokens);
    expect(p.costUsd).toBeCloseTo(
      ((p.inputTokens - p.cachedInputTokens) * 0.15 + p.cachedInputTokens * 0.015 + p.outputTokens * 0.6) /
        1e6,
      10,
    );
    expect(priced.notes.some((n) => n.includes('cachedInput'))).toBe(false);
  });

  it('counts OpenAI models with their tokenizer and others as characters / 4', async () => {
    expect(tokenizerFor('gpt-4o-mini', 'openai')).toBe('o200k_base');
    expect(tokenizerFor('gpt-4-turbo', 'openai')).toBe('cl100k_base');
    expect(tokenizerFor('my-sft-model', 'openai')).toBe('chars/4');
    expect(tokenizerFor('gemini-1.5-pro-002', 'gemini')).toBe('chars/4');
    await loadTokenizers(['o200k_base', 'cl100k_base', 'chars/4']);
    expect(countText('hello world', 'o200k_base')).toBe(2);
    expect(countText('hello world', 'cl100k_base')).toBe(2);
    expect(countText('hello world!', 'chars/4')).toBe(3);
    // chat overhead: 3 per message and 3 for the reply
    expect(countPrompt(['hello world', 'hello world'], 'o200k_base')).toBe(2 + 3 + 2 + 3 + 3);
    expect(countPrompt(['abcd', 'abcdefgh'], 'chars/4')).toBe(3);
  });

  it('round-trips through the run folder', async () => {
    const e = await estimateOf(llmConfig({ conversations: 4 }), 4);
    const { home } = makeRunDir({});
    await writeEstimate(home, e);
    expect(await readEstimate(home)).toEqual(e);
    expect(await readEstimate(path.join(home, 'nope'))).toBeUndefined();
  });

  it('plans the items of a mix as the run does: single-turn items have one turn and no nested judge', async () => {
    const multi = await estimateOf(llmConfig({ conversations: 20 }), 4, 'multi');
    const mixed = await estimateOf(
      llmConfig({ conversations: 20, mix: { single: 1, parallel: 1, irrelevance: 1, multi_turn: 0 } }),
      4,
      'mixed',
    );
    expect(multi.turnsPerConversation).toBeGreaterThan(1);
    expect(mixed.turnsPerConversation).toBe(1);
    expect(mixed.roles.find((r) => r.role === 'nested_judge')).toBeUndefined();
    expect(role(multi, 'nested_judge').requests).toBeGreaterThan(0);
  });
});

describe('an estimate of a run on an MCP server', () => {
  it('lists the server tools and asks no simulate request for them (the server executes them)', async () => {
    const config = llmConfig({
      pool: [{ mcp: memoryEntry() }],
      mix: { multi_turn: 1 },
      conversations: 6,
      execution: { mode: 'auto' },
    });
    const e = await estimateOf(config, 6, 'est-mcp');
    expect(role(e, 'back_translate').requests).toBeGreaterThan(0);
    expect(e.roles.find((r) => r.role === 'simulate')?.requests ?? 0).toBe(0);
    // the same pool as a simulated one: its calls are played by the simulate role
    const simulated = await estimateOf({ ...config, execution: { mode: 'simulated' } }, 6, 'est-mcp-sim');
    expect(role(simulated, 'back_translate').requests).toBe(role(e, 'back_translate').requests);
    expect(role(simulated, 'simulate').requests).toBeGreaterThan(0);
  }, 60_000);
});
