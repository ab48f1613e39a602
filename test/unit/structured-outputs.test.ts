import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import {
  LlmConfig,
  modelSettingsOf,
  resolveRole,
  type LlmRole,
  type ResolvedRole,
} from '../../src/core/config';
import type { FunctionDef } from '../../src/core/pool';
import { resetLimiter } from '../../src/llm/limiter';
import { callProvider } from '../../src/llm/providers';
import { chatBody, openai, resetSchemaRefusals } from '../../src/llm/providers/openai';
import { fitsStrictSubset, requestKeyExtras } from '../../src/llm/providers/structured';
import { buildPrompt, ROLES, runRole } from '../../src/roles';
import { lite } from '../../src/roles/common';
import { answerSchemaOf } from '../../src/roles/runner';
import { answer } from '../fakes/brain';
import { startFakeOpenAI, type FakeOpenAI, type FakeOpenAIOptions } from '../fakes/openai-server';
import { examplePool, firstTurnOf } from '../helpers/pools';

/**
 * Structured outputs, reasoning models and OpenAI-compatible servers (issue 25 items 1, 4, 6), against the
 * fake OpenAI server over HTTP with the real openai SDK: the request bodies the provider sends, the
 * fallback of a server that refuses json_schema, and the repairs a schema saves.
 */

process.env.MAGNET_SO_KEY = 'sk-structured-test';
type LlmCall = Extract<ResolvedRole, { provider: 'llm' }>;

/** A role on the fake server, resolved from a config as a run resolves it. */
function roleOn(
  server: FakeOpenAI,
  role: LlmRole,
  opts: { provider?: Record<string, unknown>; model?: string; settings?: Record<string, unknown> } = {},
  models: Record<string, unknown> = {},
): LlmCall {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'magnet-so-'));
  const llm = LlmConfig.parse({
    providers: {
      p: { kind: 'openai', baseURL: `${server.url}/v1`, apiKeyEnv: 'MAGNET_SO_KEY', ...opts.provider },
    },
    default: { provider: 'p', model: opts.model ?? 'gpt-4o-mini', ...opts.settings },
    models,
    prices: { 'gpt-4o-mini': { input: 1, output: 1 } },
  });
  return resolveRole(llm, role, {
    cacheDir: path.join(dir, 'cache'),
    ledgerFile: path.join(dir, 'ledger.jsonl'),
  }) as LlmCall;
}

const turn = firstTurnOf;

/** Tasks of four roles over the example pool's functions: what a run's first turns and its graph ask. */
function tasks(count: number): { role: LlmRole; input: unknown }[] {
  const pool = examplePool();
  const out: { role: LlmRole; input: unknown }[] = [];
  for (const [i, fn] of pool.slice(0, count).entries()) {
    const task = turn([fn]);
    const { query } = answer('back_translate', task) as { query: string };
    const { calls } = answer('forth_translate', { ...task, query }) as {
      calls: { arguments: Record<string, unknown> }[];
    };
    out.push({ role: 'back_translate', input: task });
    out.push({ role: 'forth_translate', input: { ...task, query } });
    out.push({
      role: 'simulate',
      input: { function: lite(fn), arguments: calls[0]?.arguments ?? {}, history: [] },
    });
    const next = pool[(i + 1) % pool.length] as FunctionDef;
    out.push({ role: 'dependency_judge', input: { function: lite(fn), candidates: [lite(next)] } });
  }
  return out;
}

/** Runs every task once on a fresh fake; the requests and repairs it took. */
async function repairsWith(
  structuredOutputs: 'json_schema' | 'json_object',
  work: { role: LlmRole; input: unknown }[],
): Promise<{ steps: number; requests: number; repairs: number }> {
  const server = await startFakeOpenAI({ schemaFollower: { offSchemaRate: 0.3, seed: 7 } });
  try {
    let requests = 0;
    for (const t of work) {
      // forth_translate in JSON mode: its tools mode (native tool calls) sends no answer schema at all
      const r = {
        ...roleOn(server, t.role, { provider: { structuredOutputs }, settings: { mode: 'json' } }),
        cache: false,
      };
      const res = await runRole(r, ROLES[t.role] as never, t.input as never);
      requests += res.usage.requests;
    }
    expect(server.log).toHaveLength(requests);
    return { steps: work.length, requests, repairs: requests - work.length };
  } finally {
    await server.close();
  }
}

/** An error_judge task the brain answers with no errors. */
const errorTask = {
  query: 'q',
  labels: ['walk'],
  previousQueries: [],
  history: [],
  reference: [],
  candidate: [],
};

describe('answer schemas of the roles', () => {
  it('every role has one, and strict is claimed only where OpenAI’s strict subset holds as is', () => {
    const strict: Record<string, boolean> = {};
    for (const [name, spec] of Object.entries(ROLES)) {
      const s = answerSchemaOf(name, spec.output);
      expect(s?.name).toBe(name);
      expect(s?.schema.type).toBe('object');
      expect(s?.schema).not.toHaveProperty('$schema');
      strict[name] = fitsStrictSubset(s?.schema ?? {});
    }
    // all properties required, additionalProperties false, supported keywords only
    expect(strict.error_judge).toBe(true);
    expect(strict.quality_judge).toBe(true);
    // optional fields (reason), minLength, free-form arguments or outputs: sent with strict false
    for (const r of ['dependency_judge', 'nested_judge', 'back_translate', 'forth_translate', 'simulate'])
      expect(strict[r]).toBe(false);
    expect(buildPrompt('teacher', { ...turn([]), query: 'q', calls: [], steps: [] }).answerSchema?.name).toBe(
      'teacher',
    );
  });

  it('a schema zod cannot express gives no schema (the role asks for JSON as before); a transform its input', () => {
    expect(answerSchemaOf('x', z.object({ when: z.date() }))).toBeUndefined();
    expect(answerSchemaOf('y', z.object({ n: z.custom<number>(() => true) }))).toBeUndefined();
    const t = answerSchemaOf('z', z.object({ n: z.string().transform((s) => s.length) }));
    expect(t?.schema).toMatchObject({ properties: { n: { type: 'string' } } });
  });

  it('the strict subset: every object closed and fully required, every node typed, known keywords', () => {
    const obj = (props: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
      type: 'object',
      properties: props,
      required: Object.keys(props),
      additionalProperties: false,
      ...extra,
    });
    expect(fitsStrictSubset(obj({ a: { type: 'string' }, b: { type: ['number', 'null'] } }))).toBe(true);
    expect(fitsStrictSubset(obj({ a: { type: 'array', items: obj({ x: { enum: ['p', 'q'] } }) } }))).toBe(
      true,
    );
    expect(fitsStrictSubset(obj({ a: { anyOf: [{ type: 'string' }, { type: 'null' }] } }))).toBe(true);
    expect(fitsStrictSubset(obj({ a: { type: 'string' } }, { required: [] }))).toBe(false);
    expect(fitsStrictSubset(obj({ a: { type: 'string' } }, { additionalProperties: true }))).toBe(false);
    expect(fitsStrictSubset(obj({ a: {} }))).toBe(false);
    expect(fitsStrictSubset(obj({ a: { type: 'string', minLength: 1 } }))).toBe(false);
    expect(fitsStrictSubset(obj({ a: { type: 'array' } }))).toBe(false);
    expect(fitsStrictSubset({ anyOf: [obj({})] })).toBe(false);
    let deep: Record<string, unknown> = obj({ leaf: { type: 'string' } });
    for (let i = 0; i < 10; i++) deep = obj({ d: deep });
    expect(fitsStrictSubset(deep)).toBe(false);
  });

  it('the cache key keeps its old form without a schema and names the schema sent', () => {
    const schema = answerSchemaOf('back_translate', ROLES.back_translate.output);
    expect(requestKeyExtras({ structuredOutputs: 'json_object' }, schema)).toEqual({});
    expect(requestKeyExtras({}, schema)).toEqual({});
    expect(requestKeyExtras({ structuredOutputs: 'json_schema' }, undefined)).toEqual({});
    const sent = requestKeyExtras({ structuredOutputs: 'json_schema' }, schema);
    expect(sent.schema).toMatch(/^[0-9a-f]{16}$/);
    const other = requestKeyExtras(
      { structuredOutputs: 'json_schema' },
      answerSchemaOf('teacher', ROLES.teacher.output),
    );
    expect(other.schema).not.toBe(sent.schema);
    expect(requestKeyExtras({ structuredOutputs: 'json_object', reasoningEffort: 'low' }, schema)).toEqual({
      effort: 'low',
    });
  });
});

describe('model settings', () => {
  it('knows OpenAI’s reasoning families; llm.models overrides; others take max_tokens and a temperature', () => {
    for (const m of ['o1', 'o3-mini', 'o3', 'o4-mini', 'gpt-5', 'gpt-5-mini', 'gpt-5.1', 'openai/o3-mini'])
      expect(modelSettingsOf({}, m)).toEqual({ maxTokensParam: 'max_completion_tokens', temperature: false });
    for (const m of ['gpt-4o-mini', 'gpt-4.1', 'gpt-5-chat-latest', 'llama3.2', 'omni-moderation'])
      expect(modelSettingsOf({}, m)).toEqual({ maxTokensParam: 'max_tokens', temperature: true });
    expect(
      modelSettingsOf({ 'deepseek-r1': { reasoning: true, reasoningEffort: 'high' } }, 'deepseek-r1'),
    ).toEqual({ maxTokensParam: 'max_completion_tokens', temperature: false, reasoningEffort: 'high' });
    expect(modelSettingsOf({ o3: { temperature: true, maxTokensParam: 'max_tokens' } }, 'o3')).toEqual({
      maxTokensParam: 'max_tokens',
      temperature: true,
    });
    expect(modelSettingsOf({ 'gemini-2.5-flash': { thinkingBudget: 0 } }, 'gemini-2.5-flash')).toMatchObject({
      thinkingBudget: 0,
    });
    expect(() => LlmConfig.parse({ models: { x: { reasoningEffort: 'extreme' } } })).toThrow();
    expect(() => LlmConfig.parse({ models: { x: { maxTokens: 3 } } })).toThrow();
  });
});

describe('OpenAI-kind requests against the fake server (real SDK over HTTP)', () => {
  let server: FakeOpenAI;
  const start = async (opts: FakeOpenAIOptions = {}): Promise<FakeOpenAI> => {
    server = await startFakeOpenAI(opts);
    return server;
  };
  beforeEach(() => {
    resetLimiter();
    resetSchemaRefusals();
  });
  afterEach(async () => server?.close());

  const judgeTask = () => {
    const [a, b] = examplePool();
    return { function: lite(a as FunctionDef), candidates: [lite(b as FunctionDef)] };
  };

  it('sends the role’s answer schema as json_schema (strict only where valid), by default for kind openai', async () => {
    await start();
    const judge = roleOn(server, 'error_judge');
    expect(judge.structuredOutputs).toBe('json_schema');
    await runRole(judge, ROLES.error_judge, errorTask);
    await runRole(roleOn(server, 'dependency_judge'), ROLES.dependency_judge, judgeTask());
    const [strict, loose] = server.bodies;
    expect(strict?.response_format).toEqual({
      type: 'json_schema',
      json_schema: {
        name: 'error_judge',
        schema: answerSchemaOf('error_judge', ROLES.error_judge.output)?.schema,
        strict: true,
      },
    });
    expect(loose?.response_format?.type).toBe('json_schema');
    expect(loose?.response_format?.json_schema?.name).toBe('dependency_judge');
    expect(loose?.response_format?.json_schema?.strict).toBe(false);
    expect(loose?.temperature).toBeUndefined();
  });

  it('json_object and none ask as configured', async () => {
    await start();
    await runRole(
      roleOn(server, 'error_judge', { provider: { structuredOutputs: 'json_object' } }),
      ROLES.error_judge,
      errorTask,
    );
    await runRole(
      roleOn(server, 'error_judge', { provider: { structuredOutputs: 'none' } }),
      ROLES.error_judge,
      {
        ...errorTask,
        query: 'other',
      },
    );
    expect(server.bodies[0]?.response_format).toEqual({ type: 'json_object' });
    expect(server.bodies[1]).not.toHaveProperty('response_format');
  });

  it('a reasoning model gets max_completion_tokens, no temperature, its reasoning effort; reasoning and cached tokens are read', async () => {
    await start({ reasoning: { models: /^o3/, reasoningTokens: 50 }, cachedTokens: 12 });
    const settings = { temperature: 0.7, maxTokens: 900 };
    const o3 = roleOn(server, 'error_judge', {
      model: 'o3-mini',
      settings: { ...settings, reasoningEffort: 'low' },
    });
    expect(o3).toMatchObject({ maxTokensParam: 'max_completion_tokens', reasoningEffort: 'low' });
    expect(o3.temperature).toBeUndefined();
    const res = await runRole(o3, ROLES.error_judge, errorTask);
    expect(res.value).toEqual([]);
    const body = server.bodies[0];
    expect(body).toMatchObject({ model: 'o3-mini', max_completion_tokens: 900, reasoning_effort: 'low' });
    expect(body).not.toHaveProperty('max_tokens');
    expect(body).not.toHaveProperty('temperature');
    // the fake refuses what OpenAI refuses for such a model
    const wrong = { ...o3, maxTokensParam: 'max_tokens' as const, temperature: 0.7 };
    const refused = await callProvider(wrong, { messages: [{ role: 'user', content: 'x' }] }).catch(
      (e: Error) => e,
    );
    expect(String(refused)).toMatch(/Unsupported parameter: 'max_tokens'/);
    // a model of another family keeps max_tokens and its temperature
    await runRole(roleOn(server, 'error_judge', { settings }), ROLES.error_judge, {
      ...errorTask,
      query: 'q2',
    });
    expect(server.bodies.at(-1)).toMatchObject({ model: 'gpt-4o-mini', max_tokens: 900, temperature: 0.7 });
    expect(server.bodies.at(-1)).not.toHaveProperty('max_completion_tokens');

    const prompt = buildPrompt('error_judge', { ...errorTask, query: 'q3' });
    const a = await callProvider(o3, {
      messages: [
        { role: 'system', content: `magnet-role: error_judge@${prompt.version}\n${prompt.system}` },
        { role: 'user', content: prompt.user },
      ],
      answerSchema: prompt.answerSchema,
    });
    const entry = server.log.at(-1);
    expect(a.reasoningTokens).toBe(50);
    expect(a.outputTokens).toBe((entry?.completionTokens ?? 0) + 50);
    expect(a.cachedInputTokens).toBe(12);
    expect(a.inputTokens).toBe(entry?.promptTokens);
  });

  it.each([400, 422] as const)(
    'a server refusing json_schema (%s) gets json_object once, remembered; the step succeeds, paid once',
    async (status) => {
      await start({ compat: { refuseJsonSchema: status === 422 ? 422 : true } });
      const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
      try {
        const r = roleOn(server, 'error_judge');
        const first = await runRole(r, ROLES.error_judge, errorTask);
        expect(first.value).toEqual([]);
        expect(first.usage.requests).toBe(1);
        const second = await runRole(r, ROLES.error_judge, { ...errorTask, query: 'again' });
        expect(second.usage.requests).toBe(1);
        expect(server.bodies.map((b) => b.response_format?.type)).toEqual([
          'json_schema',
          'json_object',
          'json_object',
        ]);
        // the refusal is not in the server's log of answered requests, and the ledger has one line per step
        expect(server.log.map((e) => e.status)).toEqual([200, 200]);
        const ledger = readFileSync(r.ledgerFile, 'utf8').trim().split('\n');
        expect(ledger).toHaveLength(2);
        expect(warn).toHaveBeenCalledTimes(1);
        expect(String(warn.mock.calls[0]?.[0])).toMatch(
          new RegExp(
            `provider p \\(${server.url}/v1\\) refused response_format json_schema \\(HTTP ${status}`,
          ),
        );
      } finally {
        warn.mockRestore();
      }
    },
  );

  it('a 400 about something else is not a schema refusal: the step fails for good as before', async () => {
    await start();
    server.setScript(() => ({ status: 400, body: { error: { message: 'model not found' } } }));
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      await expect(
        runRole(roleOn(server, 'error_judge'), ROLES.error_judge, errorTask),
      ).rejects.toMatchObject({
        type: 'LlmRejected',
      });
      expect(server.bodies).toHaveLength(1);
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  it('a server without a models list passes the preflight; tool calls in text are what such a server answers', async () => {
    await start({ compat: { noModelsList: true, toolCallsInText: true } });
    const res = await fetch(`${server.url}/v1/models`, { headers: { authorization: 'Bearer k' } });
    expect(res.status).toBe(404);
    await expect(
      openai.preflight({ providerName: 'p', baseURL: `${server.url}/v1`, apiKeyEnv: 'MAGNET_SO_KEY' }, 2000),
    ).resolves.toBeUndefined();
    const task = turn(examplePool().slice(0, 1));
    const { query } = answer('back_translate', task) as { query: string };
    const prompt = buildPrompt('forth_translate', { ...task, query });
    const body = {
      model: 'qwen',
      messages: [
        { role: 'system', content: `magnet-role: forth_translate@${prompt.version}\n${prompt.system}` },
        { role: 'user', content: prompt.user },
      ],
      tools: [
        {
          type: 'function',
          function: { name: task.functions[0]?.name, parameters: task.functions[0]?.parameters },
        },
      ],
    };
    const chat = (await (
      await fetch(`${server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer k' },
        body: JSON.stringify(body),
      })
    ).json()) as { choices: { message: { content: string; tool_calls?: unknown } }[] };
    const message = chat.choices[0]?.message;
    expect(message?.tool_calls).toBeUndefined();
    expect(message?.content).toMatch(new RegExp(`^<tool_call>\\n\\{"name":"${task.functions[0]?.name}"`));
    expect(server.bodies[0]?.tools).toEqual(body.tools);
  });
});

describe('batch mode', () => {
  it('a batch line carries the same response_format and token parameters', () => {
    const r = {
      ...roleOn({ url: 'http://127.0.0.1:9' } as FakeOpenAI, 'error_judge', { model: 'o3' }),
      maxTokens: 100,
    };
    const prompt = buildPrompt('error_judge', errorTask);
    const body = chatBody(r, {
      messages: [{ role: 'user', content: prompt.user }],
      answerSchema: prompt.answerSchema,
    });
    expect(body).toMatchObject({
      response_format: { type: 'json_schema', json_schema: { name: 'error_judge', strict: true } },
      max_completion_tokens: 100,
    });
    expect(body).not.toHaveProperty('temperature');
  });
});

describe('a model that follows the schema only when it is sent', () => {
  it('needs repairs for more than 10% of its steps in JSON mode, none with structured outputs', async () => {
    resetLimiter();
    const work = tasks(12);
    const json = await repairsWith('json_object', work);
    const schema = await repairsWith('json_schema', work);
    const pct = (n: number, of: number): string => `${((100 * n) / of).toFixed(1)}%`;
    console.log(
      [
        `schema follower (30% off-schema without a schema), ${work.length} steps of back_translate, forth_translate, simulate, dependency_judge:`,
        `  json_object: ${json.requests} requests, ${json.repairs} repairs (${pct(json.repairs, json.requests)} of requests)`,
        `  json_schema: ${schema.requests} requests, ${schema.repairs} repairs (${pct(schema.repairs, schema.requests)} of requests)`,
      ].join('\n'),
    );
    expect(json.repairs / json.requests).toBeGreaterThan(0.1);
    expect(schema.repairs).toBe(0);
    expect(schema.requests).toBe(work.length);
  });
});
