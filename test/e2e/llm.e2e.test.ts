import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { RunInput } from '../../src/core/config';
import { checkChatExample } from '../helpers/checks';
import { makeRunDir, prepare, readRecords, runToEnd } from '../helpers/run';
import { connect, workflowBundle } from '../helpers/temporal';
import { startFakeGemini, startFakeOpenAI, type FakeServer } from '../fakes';
import type { FakeGemini } from '../fakes/gemini-server';
import type { FakeOpenAI } from '../fakes/openai-server';
import { PROVIDER_NAME } from '../../src/core/names';
import { parseInputBlock, parseRoleLine } from '../../src/llm/protocol';
import type { OpenAIChatExample } from '../../src/export/openai';

const KEY = 'sk-magnet-test-DO-NOT-LEAK-4242';
process.env.MAGNET_FAKE_KEY = KEY;

let client: Client;
beforeAll(async () => {
  await workflowBundle();
  client = await connect();
});
afterAll(async () => {
  await client.connection.close();
});

function llmConfig(kind: 'openai' | 'gemini', server: FakeServer, conversations: number): object {
  return {
    seed: 11,
    conversations,
    concurrency: { conversations: 4 },
    // the checks compare the export with the records line by line: keep repeated queries
    quality: { dedup: false },
    // Gemini plays every function (LLM-simulated execution); OpenAI runs the built-in tool sets
    execution: { mode: kind === 'gemini' ? 'simulated' : 'auto' },
    llm: {
      providers: {
        fake: {
          kind,
          baseURL: kind === 'openai' ? `${server.url}/v1` : server.url,
          apiKeyEnv: 'MAGNET_FAKE_KEY',
          requestsPerSecond: 200,
          tokensPerMinute: 5_000_000,
          timeoutMs: 20_000,
        },
      },
      default: { provider: 'fake', model: 'teacher-1', temperature: 0.2 },
      prices: { 'teacher-1': { input: 2.5, output: 10 } },
    },
  };
}

/** Every file under a folder, as text. */
function allText(dir: string): string {
  let out = '';
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    out += statSync(full).isDirectory() ? allText(full) : readFileSync(full, 'utf8');
  }
  return out;
}

async function histories(runId: string): Promise<string> {
  let text = '';
  for await (const wf of client.workflow.list({ query: `WorkflowId STARTS_WITH '${runId}'` })) {
    const h = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
    text += JSON.stringify(h);
  }
  return text;
}

interface Texts {
  content?: string;
  parts?: { text?: string }[];
}

/** Each request the fake got: its role, the task's function names, the names of the tools it sent (if any). */
function sentTools(
  kind: 'openai' | 'gemini',
  server: FakeServer,
): { role?: string; functions: string[]; tools?: string[] }[] {
  const read = (system: string, user: string, tools: string[] | undefined) => {
    const input = parseInputBlock(user) as { functions?: { name: string }[] } | undefined;
    return {
      role: parseRoleLine(system)?.role,
      functions: (input?.functions ?? []).map((f) => f.name),
      ...(tools ? { tools } : {}),
    };
  };
  const text = (c: Texts | undefined): string =>
    c?.content ?? (c?.parts ?? []).map((p) => p.text ?? '').join('');
  if (kind === 'openai')
    return (server as FakeOpenAI).bodies.map((b) => {
      const messages = b.messages as (Texts & { role: string })[];
      const tools = b.tools as { function: { name: string } }[] | undefined;
      return read(
        text(messages[0]),
        text(messages.filter((m) => m.role === 'user')[0]),
        tools?.map((t) => t.function.name),
      );
    });
  return (server as FakeGemini).requests.map((r) => {
    const b = r.body as {
      systemInstruction?: Texts;
      contents: Texts[];
      tools?: { functionDeclarations: { name: string }[] }[];
    };
    return read(
      text(b.systemInstruction),
      text(b.contents[0]),
      b.tools?.flatMap((t) => t.functionDeclarations.map((d) => d.name)),
    );
  });
}

function paidTotals(server: FakeServer): { requests: number; inputTokens: number; outputTokens: number } {
  const paid = server.log.filter((e) => e.status === 200);
  return {
    requests: paid.length,
    inputTokens: paid.reduce((a, e) => a + e.promptTokens, 0),
    outputTokens: paid.reduce((a, e) => a + e.completionTokens, 0),
  };
}

async function fullRun(
  kind: 'openai' | 'gemini',
  server: FakeServer,
  conversations: number,
  runId: string,
): Promise<{ input: RunInput; summary: Awaited<ReturnType<typeof runToEnd>> }> {
  const { home, configFile } = makeRunDir(llmConfig(kind, server, conversations));
  const input = await prepare(home, configFile, runId);
  const summary = await runToEnd(client, input);
  return { input, summary };
}

describe.each(['openai', 'gemini'] as const)('full run against the fake %s server', (kind) => {
  let server: FakeServer;
  beforeAll(async () => {
    server = kind === 'openai' ? await startFakeOpenAI() : await startFakeGemini();
  });
  afterAll(async () => server.close());

  it('builds the graph with the LLM judge, translates, executes and distills; records pass the checks', async () => {
    const runId = `llm-${kind}-${Date.now()}`;
    const { input, summary } = await fullRun(kind, server, 6, runId);
    expect(summary.conversations).toBe(6);
    expect(summary.failed).toBe(0);
    expect(summary.backend).toBe('llm');
    const { records, pool } = await readRecords(input);
    expect(records).toHaveLength(6);
    for (const r of records) {
      expect(r.provenance.backend).toBe('llm');
      expect(r.provenance.models.teacher).toBe('fake/teacher-1');
    }
    const lines = readFileSync(path.join(input.outDir, 'sft.openai.jsonl'), 'utf8').trim().split('\n');
    lines.forEach((l, i) =>
      checkChatExample(JSON.parse(l) as OpenAIChatExample, records[i] as (typeof records)[number]),
    );

    // one judge request per function (all have same-category candidates), no more
    const judge = server.log.filter((e) => e.role === 'dependency_judge' && e.status === 200);
    expect(judge).toHaveLength(pool.size);
    const graph = JSON.parse(readFileSync(path.join(input.outDir, 'graph.json'), 'utf8')) as {
      judge: string;
      edges: unknown[];
    };
    expect(graph.judge).toBe('llm:fake/teacher-1');
    expect(graph.edges.length).toBeGreaterThan(50);
    for (const role of ['nested_judge', 'back_translate', 'forth_translate', 'teacher']) {
      expect(server.log.some((e) => e.role === role && e.status === 200)).toBe(true);
    }
    // forth_translate in tools mode (the default): each of its requests sent the turn's functions as tools
    // (by their safe names, each once) and got its calls back as tool calls, from which the records above were
    // built; no other role sent tools
    const sent = sentTools(kind, server);
    const forth = sent.filter((s) => s.role === 'forth_translate');
    expect(forth.length).toBeGreaterThan(0);
    for (const s of forth) {
      expect(s.tools ?? []).toEqual([...new Set(s.functions)]);
      for (const t of s.tools ?? []) expect(t).toMatch(PROVIDER_NAME);
    }
    expect(sent.filter((s) => s.role !== 'forth_translate' && s.tools !== undefined)).toEqual([]);
    const executors = new Set(records.flatMap((r) => r.turns.flatMap((t) => t.calls.map((c) => c.executor))));
    if (kind === 'gemini') {
      expect(server.log.some((e) => e.role === 'simulate' && e.status === 200)).toBe(true);
      expect([...executors]).toEqual(['simulated']);
    } else {
      expect(executors.has('builtin')).toBe(true);
    }

    // accounting: the summary's ledger equals what the server answered, and costs follow the price table
    const paid = paidTotals(server);
    expect(summary.ledger).toMatchObject(paid);
    expect(summary.ledger.costUsd).toBeCloseTo((paid.inputTokens * 2.5 + paid.outputTokens * 10) / 1e6, 5);
    expect(summary.usage.requests + summary.usage.cached).toBeGreaterThanOrEqual(paid.requests);

    // the key reached the server, and nowhere else
    expect(server.requestsWithKey(KEY)).toBe(true);
    expect(await histories(runId)).not.toContain(KEY);
    expect(allText(path.dirname(input.outDir))).not.toContain(KEY);
    expect(allText(input.cacheDir)).not.toContain(KEY);
    expect(allText(input.storeDir)).not.toContain(KEY);
    const bin = process.env.MAGNET_TEST_TEMPORAL_BIN;
    if (!bin) throw new Error('global setup did not publish the temporal binary');
    const shown = spawnSync(
      bin,
      [
        'workflow',
        'show',
        '--workflow-id',
        `${runId}/conv-00001`,
        '--output',
        'json',
        '--address',
        process.env.TEMPORAL_ADDRESS as string,
      ],
      { encoding: 'utf8' },
    );
    expect(shown.status).toBe(0);
    expect(shown.stdout.length).toBeGreaterThan(1000);
    expect(shown.stdout).not.toContain(KEY);
  });
});

describe('transient faults', () => {
  it('completes every conversation with 20% 429/500 and 5% malformed answers, never repeating a request after its success', async () => {
    const server = await startFakeOpenAI({
      faults: { rate429: 0.1, rate500: 0.1, rateMalformed: 0.05, retryAfterSeconds: 1, seed: 3 },
    });
    try {
      const runId = `llm-faults-${Date.now()}`;
      const { input, summary } = await fullRun('openai', server, 6, runId);
      expect(summary.conversations).toBe(6);
      expect(summary.failed).toBe(0);
      await readRecords(input);
      const outcomes = new Set(server.log.map((e) => e.outcome));
      for (const o of ['429', '500', 'malformed', 'ok']) expect(outcomes).toContain(o);
      // a request answered once with a usable answer is never sent again (cache + idempotent activities); a
      // truncated answer (also HTTP 200) is reused only by retries of the step that got it, so another
      // conversation asking the same question asks afresh
      const byHash = new Map<string, typeof server.log>();
      for (const e of server.log) byHash.set(e.bodyHash, [...(byHash.get(e.bodyHash) ?? []), e]);
      for (const [, entries] of byHash) {
        const firstOk = entries.findIndex((e) => e.outcome === 'ok');
        if (firstOk >= 0) expect(entries.slice(firstOk + 1)).toEqual([]);
      }
      expect(summary.ledger).toMatchObject(paidTotals(server));
    } finally {
      await server.close();
    }
  });
});

describe('negative trajectories (mDPO)', () => {
  // An OpenAI-compatible server that refuses json_schema (falls back to json_object once, no failed step) and
  // a reasoning student (o3-mini: refused by the fake if it were sent a temperature or max_tokens).
  it('samples the student, judges its errors, writes rejected turns and DPO pairs', async () => {
    const server = await startFakeOpenAI({
      compat: { refuseJsonSchema: true },
      reasoning: { models: /^o3/, reasoningTokens: 40 },
    });
    const warn = jest.spyOn(console, 'warn');
    try {
      const base = llmConfig('openai', server, 8) as { llm: { roles?: object } };
      const { home, configFile } = makeRunDir({
        ...base,
        seed: 21,
        negatives: { samples: 2 },
        llm: { ...base.llm, roles: { student: { provider: 'fake', model: 'o3-mini' } } },
      });
      const input = await prepare(home, configFile, `llm-dpo-${Date.now()}`);
      const summary = await runToEnd(client, input);
      expect(summary.failed).toBe(0);
      // every json_schema request (those in flight before the first fallback) was refused and asked again
      // with json_object within its step; refusals are not in the log, whose answers are what the ledger paid
      const formats = server.bodies.map((b) => b.response_format?.type);
      const refused = formats.filter((f) => f === 'json_schema').length;
      expect(refused).toBeGreaterThan(0);
      expect(server.bodies.length - server.log.length).toBe(refused);
      // the student's answers also report 40 reasoning tokens each, inside completion_tokens (not in the log)
      const paid = paidTotals(server);
      const studentAnswers = server.log.filter((e) => e.role === 'student' && e.status === 200).length;
      expect(summary.ledger).toMatchObject({
        ...paid,
        outputTokens: paid.outputTokens + 40 * studentAnswers,
      });
      const told = warn.mock.calls.filter((c) => /refused response_format json_schema/.test(String(c[0])));
      expect(told).toHaveLength(1);
      expect(String(told[0]?.[0])).toContain(`provider fake (${server.url}/v1)`);
      const student = server.bodies.filter((b) => b.model === 'o3-mini');
      expect(student.length).toBeGreaterThan(0);
      for (const b of student) {
        expect(b).not.toHaveProperty('temperature');
        expect(b).not.toHaveProperty('max_tokens');
      }
      // the student in tools mode (the default): the conversation's tools, no response format to refuse
      expect(student.every((b) => b.response_format === undefined)).toBe(true);
      expect(student.some((b) => Array.isArray(b.tools) && b.tools.length > 0)).toBe(true);
      expect(server.bodies.find((b) => b.model === 'teacher-1')).toMatchObject({ temperature: 0.2 });
      const { records } = await readRecords(input);
      const negatives = records.flatMap((r) => r.turns.flatMap((t) => t.negatives.map((n) => ({ r, t, n }))));
      expect(negatives.length).toBeGreaterThan(0);
      expect(summary.dpoPairs).toBe(negatives.length);
      for (const { t, n } of negatives) {
        expect(n.errors.length).toBeGreaterThan(0);
        // the rejected calls really ran, and differ from the reference
        expect(n.calls.map((c) => c.name)).not.toEqual(t.calls.map((c) => c.name));
        for (const c of n.calls) expect(c.error !== undefined || c.output !== null).toBe(true);
      }
      expect(server.log.some((e) => e.role === 'student')).toBe(true);
      expect(server.log.some((e) => e.role === 'error_judge')).toBe(true);
      const pairs = readFileSync(path.join(input.outDir, 'dpo.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map(
          (l) =>
            JSON.parse(l) as {
              prompt: { role: string; content: string }[];
              chosen: unknown[];
              rejected: unknown[];
              metadata: { id: string; turn: number; errors: string[] };
            },
        );
      expect(pairs).toHaveLength(negatives.length);
      for (const p of pairs) {
        const rec = records.find((r) => r.id === p.metadata.id);
        // metadata.turn is the turn's index in the plan; turns the grounding removed are not in the prompt
        const turn = rec?.turns.find((t) => t.index === p.metadata.turn);
        expect(p.prompt[p.prompt.length - 1]).toEqual({ role: 'user', content: turn?.query });
        expect(p.prompt.filter((m) => m.role === 'user')).toHaveLength(
          rec?.turns.filter((t) => t.index <= p.metadata.turn).length ?? -1,
        );
        expect(p.chosen).not.toEqual(p.rejected);
        expect(p.metadata.errors.length).toBeGreaterThan(0);
      }
    } finally {
      warn.mockRestore();
      await server.close();
    }
  });
});
