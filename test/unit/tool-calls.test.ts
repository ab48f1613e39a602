import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LlmConfig, resolveRole, type LlmRole, type ResolvedRole } from '../../src/core/config';
import type { PlannedCall } from '../../src/core/conversation';
import { PROVIDER_NAME } from '../../src/core/names';
import type { FunctionDef } from '../../src/core/pool';
import { resetLimiter } from '../../src/llm/limiter';
import { callProvider } from '../../src/llm/providers';
import { generationConfig } from '../../src/llm/providers/gemini';
import { chatBody } from '../../src/llm/providers/openai';
import { roleLine } from '../../src/llm/protocol';
import { callsInText, toolsAnswerText } from '../../src/llm/tools';
import { ROLES, runRole } from '../../src/roles';
import { lite, type TurnTask } from '../../src/roles/common';
import { answer } from '../fakes/brain';
import { startFakeGemini, type FakeGemini } from '../fakes/gemini-server';
import { startFakeOpenAI, type ChatBody, type FakeOpenAI } from '../fakes/openai-server';
import { promptFor } from '../../src/roles/runner';
import { examplePool, firstTurnOf } from '../helpers/pools';

/**
 * Native tool calls (issue 25 item 2): forth_translate and the student in `mode: "tools"` send the turn's
 * functions as tools (OpenAI `tools`, Gemini `functionDeclarations`) and read the answer's tool calls
 * (`tool_calls`, `functionCall` parts) into the role's answer; JSON mode is unchanged. Against the fake servers
 * over HTTP with the real SDKs; the request bodies are asserted.
 */

process.env.MAGNET_TOOLS_KEY = 'sk-tools-test';
type LlmCall = Extract<ResolvedRole, { provider: 'llm' }>;

function roleOn(
  url: string,
  kind: 'openai' | 'gemini',
  role: LlmRole,
  settings: Record<string, unknown> = {},
): LlmCall {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'magnet-tools-'));
  const llm = LlmConfig.parse({
    providers: {
      p: { kind, baseURL: kind === 'openai' ? `${url}/v1` : url, apiKeyEnv: 'MAGNET_TOOLS_KEY' },
    },
    default: { provider: 'p', model: 'fake-model', ...settings },
    roles: { student: { provider: 'p', model: 'fake-model', ...settings } },
  });
  const r = resolveRole(llm, role, {
    cacheDir: path.join(dir, 'cache'),
    ledgerFile: path.join(dir, 'l.jsonl'),
  });
  return { ...(r as LlmCall), cache: false };
}

const turn = firstTurnOf;

/** A two-call turn of the example pool whose second call takes an output of the first ($from). */
function chainedTask(): TurnTask & { query: string } {
  const pool = examplePool();
  for (const a of pool)
    for (const b of pool) {
      if (a === b) continue;
      try {
        const task = turn([a, b]);
        const { query } = answer('back_translate', task) as { query: string };
        const { calls } = answer('forth_translate', { ...task, query }) as {
          calls: { arguments: Record<string, unknown> }[];
        };
        if (
          calls.some((c) =>
            Object.values(c.arguments).some((v) => v && typeof v === 'object' && '$from' in v),
          )
        )
          return { ...task, query };
      } catch {
        // not a turn the offline rules can write
      }
    }
  throw new Error('no chained pair in the example pool');
}

/** The provider's own answer to a tools-mode forth_translate request: its tool calls and text. */
async function rawAnswer(r: LlmCall, task: TurnTask & { query: string }) {
  const prompt = promptFor(ROLES.forth_translate, task, true);
  return callProvider(r, {
    messages: [
      { role: 'system', content: `${roleLine('forth_translate', prompt.version)}\n${prompt.system}` },
      { role: 'user', content: prompt.user },
    ],
    tools: prompt.tools?.specs,
  });
}

const forth = (r: LlmCall, task: TurnTask & { query: string }) =>
  runRole(r, ROLES.forth_translate, task) as Promise<{ value: PlannedCall[]; usage: { requests: number } }>;

describe('tools mode: config', () => {
  const llm = (roles: Record<string, unknown>, def: Record<string, unknown> = {}) =>
    LlmConfig.safeParse({
      providers: { p: { kind: 'openai', apiKeyEnv: 'K' } },
      default: { provider: 'p', model: 'm', ...def },
      roles,
    });

  it('defaults to tools for forth_translate and the student, json for the others and in batch mode', () => {
    const parsed = LlmConfig.parse({
      providers: { p: { kind: 'openai', apiKeyEnv: 'K' }, g: { kind: 'gemini', apiKeyEnv: 'K' } },
      default: { provider: 'p', model: 'm' },
      roles: { student: { provider: 'g', model: 'gm' }, back_translate: { batch: true } },
    });
    const paths = { cacheDir: '/tmp/c', ledgerFile: '/tmp/l' };
    const mode = (role: LlmRole) => (resolveRole(parsed, role, paths) as LlmCall).mode;
    expect(mode('forth_translate')).toBe('tools');
    expect(mode('student')).toBe('tools');
    for (const role of ['teacher', 'back_translate', 'negative_teacher', 'simulate'] as const)
      expect(mode(role)).toBeUndefined();
    const json = LlmConfig.parse({
      providers: { p: { kind: 'openai', apiKeyEnv: 'K' } },
      default: { provider: 'p', model: 'm', mode: 'json' },
    });
    expect((resolveRole(json, 'forth_translate', paths) as LlmCall).mode).toBeUndefined();
    const batch = LlmConfig.parse({
      providers: { p: { kind: 'openai', apiKeyEnv: 'K' } },
      default: { provider: 'p', model: 'm', batch: true },
    });
    expect((resolveRole(batch, 'forth_translate', paths) as LlmCall).mode).toBeUndefined();
  });

  it('refuses tools mode for the teacher (it writes no calls) and with batch mode', () => {
    const teacher = llm({ teacher: { mode: 'tools' } });
    expect(teacher.success).toBe(false);
    expect(teacher.error?.issues[0]?.message).toMatch(/role teacher has no tools mode/);
    const batch = llm({ forth_translate: { mode: 'tools', batch: true } });
    expect(batch.success).toBe(false);
    expect(batch.error?.issues[0]?.message).toMatch(/tools mode is not available in batch mode/);
    // a default of tools is fine: roles without a tools mode ignore it
    expect(llm({}, { mode: 'tools' }).success).toBe(true);
  });
});

describe('tools mode: OpenAI-kind requests against the fake server', () => {
  let server: FakeOpenAI;
  beforeEach(async () => {
    resetLimiter();
    server = await startFakeOpenAI();
  });
  afterEach(() => server.close());

  it('sends the turn’s functions as tools (safe names, references allowed) and reads tool_calls into the calls', async () => {
    const task = chainedTask();
    const tools = await forth(roleOn(server.url, 'openai', 'forth_translate'), task);
    const body = server.bodies[0] as ChatBody & {
      tools: {
        type: string;
        function: { name: string; parameters: { properties: Record<string, unknown> } };
      }[];
    };
    expect(body.response_format).toBeUndefined();
    expect(body.tools.map((t) => t.type)).toEqual(['function', 'function']);
    expect(body.tools.map((t) => t.function.name)).toEqual(task.functions.map((f) => f.name));
    for (const t of body.tools) expect(t.function.name).toMatch(PROVIDER_NAME);
    // a turn of several calls: every argument may be a reference to an earlier call's output
    for (const p of Object.values(body.tools[1]?.function.parameters.properties ?? {}))
      expect(JSON.stringify(p)).toContain('$from');
    expect(tools.usage.requests).toBe(1);
    // the answer had tool_calls, one per planned call, and no JSON text
    const json = await forth(roleOn(server.url, 'openai', 'forth_translate', { mode: 'json' }), task);
    expect(server.bodies[1]?.tools).toBeUndefined();
    expect(server.bodies[1]?.response_format).toBeDefined();
    expect(tools.value).toEqual(json.value);
    expect(tools.value.some((c) => Object.keys(c.refs ?? {}).length > 0)).toBe(true);
    // the answer is native tool calls, a reference in the arguments as JSON mode writes it
    const raw = await rawAnswer(roleOn(server.url, 'openai', 'forth_translate'), task);
    expect(raw.text).toBe('');
    expect(raw.toolCalls?.map((c) => c.name)).toEqual(task.functions.map((f) => f.name));
    expect(JSON.stringify(raw.toolCalls)).toContain('"$from":"call_1_1.');
  });

  it('a parallel turn lists a function once as a tool and gets one tool call per listing', async () => {
    const fn = examplePool()[0] as FunctionDef;
    const base = turn([fn, fn]);
    const task = { ...base, turn: { ...base.turn, labels: ['parallel' as const] } };
    const { query } = answer('back_translate', task) as { query: string };
    const res = await forth(roleOn(server.url, 'openai', 'forth_translate'), { ...task, query });
    const body = server.bodies[0] as { tools: { function: { name: string } }[] };
    expect(body.tools.map((t) => t.function.name)).toEqual([fn.name]);
    expect(res.value.map((c) => c.name)).toEqual([fn.name, fn.name]);
  });

  it('an invalid set of calls gets the one repair with the problem quoted, tools sent again', async () => {
    const task = chainedTask();
    server.setScript((req) =>
      req.role === 'forth_translate' && !req.repair
        ? { content: JSON.stringify({ calls: [{ name: task.functions[0]?.name, arguments: {} }] }) }
        : undefined,
    );
    const res = await forth(roleOn(server.url, 'openai', 'forth_translate'), task);
    expect(res.usage.requests).toBe(2);
    const repair = server.bodies[1] as { tools?: unknown[]; messages: { role: string; content: string }[] };
    expect(repair.tools).toHaveLength(2);
    const last = repair.messages[repair.messages.length - 1]?.content ?? '';
    expect(last).toMatch(/That answer is invalid: expected one call each of/);
    expect(last).toMatch(/corrected calls with your tools/);
  });

  it('the student gets the conversation’s tools and its text is its final answer', async () => {
    const pool = examplePool().slice(0, 3);
    const input = {
      turnIndex: 0,
      query: 'Please do something no tool can do.',
      previousQueries: [],
      history: [],
      tools: pool.map(lite),
      sample: 0,
    };
    const res = (await runRole(roleOn(server.url, 'openai', 'student'), ROLES.student, input)) as {
      value: { calls: unknown[]; final?: string };
    };
    const body = server.bodies[0] as { tools: { function: { name: string } }[] };
    expect(body.tools.map((t) => t.function.name)).toEqual(pool.map((f) => f.name));
    expect(res.value).toEqual(answer('student', input));
  });

  it('a server that writes the calls in the text (no tool parser) is read too', async () => {
    await server.close();
    server = await startFakeOpenAI({ compat: { toolCallsInText: true } });
    const task = chainedTask();
    const res = await forth(roleOn(server.url, 'openai', 'forth_translate'), task);
    expect(res.usage.requests).toBe(1);
    expect(res.value).toHaveLength(2);
  });
});

describe('tools mode: Gemini requests against the fake server', () => {
  let server: FakeGemini;
  beforeEach(async () => {
    resetLimiter();
    server = await startFakeGemini();
  });
  afterEach(() => server.close());

  it('sends functionDeclarations (no JSON MIME type) and reads functionCall parts; JSON mode sends none', async () => {
    const task = chainedTask();
    const tools = await forth(roleOn(server.url, 'gemini', 'forth_translate'), task);
    const body = server.requests[0]?.body as {
      tools: { functionDeclarations: { name: string; parametersJsonSchema: unknown }[] }[];
      generationConfig?: Record<string, unknown>;
    };
    expect(body.tools[0]?.functionDeclarations.map((d) => d.name)).toEqual(task.functions.map((f) => f.name));
    expect(body.generationConfig?.responseMimeType).toBeUndefined();
    expect(body.generationConfig?.responseJsonSchema).toBeUndefined();
    const json = await forth(roleOn(server.url, 'gemini', 'forth_translate', { mode: 'json' }), task);
    const jsonBody = server.requests[1]?.body as {
      tools?: unknown;
      generationConfig?: Record<string, unknown>;
    };
    expect(jsonBody.tools).toBeUndefined();
    expect(jsonBody.generationConfig?.responseMimeType).toBe('application/json');
    expect(tools.value).toEqual(json.value);
    const raw = await rawAnswer(roleOn(server.url, 'gemini', 'forth_translate'), task);
    expect(raw.toolCalls?.map((c) => c.name)).toEqual(task.functions.map((f) => f.name));
    expect(JSON.stringify(raw.toolCalls)).toContain('"$from":"call_1_1.');
  });
});

describe('tools mode with no function (a turn that calls nothing)', () => {
  it('sends no tools (the APIs take no empty list) and no answer format: the answer is text', () => {
    const r = roleOn('http://localhost:1', 'openai', 'forth_translate');
    const body = chatBody(r, { messages: [{ role: 'user', content: 'x' }], tools: [] });
    expect(body).not.toHaveProperty('tools');
    expect(body).not.toHaveProperty('response_format');
    const config = generationConfig({ structuredOutputs: 'json_schema' }, { tools: [] });
    expect(config).not.toHaveProperty('tools');
    expect(config).not.toHaveProperty('responseMimeType');
  });
});

describe('tools-mode answers', () => {
  const tools = {
    specs: [],
    answer: (calls: { name: string; arguments: unknown }[]) => ({ calls }),
    repair: '',
  };

  it('reads <tool_call> blocks, keeps a JSON answer as written, and builds the role’s answer from calls', () => {
    expect(callsInText('<tool_call>\n{"name": "a", "arguments": {"x": 1}}\n</tool_call>')).toEqual([
      { name: 'a', arguments: { x: 1 } },
    ]);
    expect(toolsAnswerText(tools, { text: '{"calls": []}', toolCalls: [] })).toBe('{"calls": []}');
    expect(toolsAnswerText(tools, { text: 'nothing to call', toolCalls: [] })).toBe('{"calls":[]}');
    expect(
      JSON.parse(toolsAnswerText(tools, { text: '', toolCalls: [{ name: 'b', arguments: 'not json' }] })),
    ).toEqual({ calls: [{ name: 'b', arguments: 'not json' }] });
  });
});
