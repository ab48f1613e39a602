import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { failBatchItemsActivity, pollBatchActivity, submitBatchActivity } from '../../src/activities/batch';
import {
  BATCH_DEFAULTS,
  BATCH_RETRY_MS,
  LlmConfig,
  priceOf,
  resolveRole,
  ResolvedRole,
  RunConfig,
} from '../../src/core/config';
import { batchJsonl, batchPaths, parseBatchOutput } from '../../src/llm/batch-file';
import type { LedgerLine } from '../../src/llm/request';
import { batcher } from '../../src/workflows/batcher';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-server';
import { bundleOf } from '../helpers/temporal';
import { withTimeSkippingEnv } from '../helpers/time-skipping';
import {
  batchRequestSignal,
  batcherId,
  runOfWorkflow,
  type BatchEndpoint,
  type BatchItem,
  type BatchPoll,
  type BatcherInput,
} from '../../src/contracts';

const KEY_A = 'a'.repeat(64);
const KEY_B = 'b'.repeat(64);
const KEY_C = 'c'.repeat(64);

describe('batch files', () => {
  it('writes one request per line, custom_id the cache key', () => {
    const text = batchJsonl([
      { key: KEY_A, body: { model: 'm', messages: [] } },
      { key: KEY_B, body: { model: 'm', messages: [{ role: 'user', content: 'x' }] } },
    ]);
    expect(text.endsWith('\n')).toBe(true);
    const lines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    expect(lines).toEqual([
      { custom_id: KEY_A, method: 'POST', url: '/v1/chat/completions', body: { model: 'm', messages: [] } },
      {
        custom_id: KEY_B,
        method: 'POST',
        url: '/v1/chat/completions',
        body: { model: 'm', messages: [{ role: 'user', content: 'x' }] },
      },
    ]);
  });

  it('reads answers and failures from output and error files', () => {
    const ok = {
      id: 'batch_req_1',
      custom_id: KEY_A,
      response: {
        status_code: 200,
        request_id: 'req_1',
        body: {
          choices: [{ index: 0, message: { role: 'assistant', content: '{"x":1}' } }],
          usage: { prompt_tokens: 10, completion_tokens: 3 },
        },
      },
      error: null,
    };
    const http500 = {
      id: 'batch_req_2',
      custom_id: KEY_B,
      response: { status_code: 500, request_id: 'req_2', body: { error: { message: 'boom' } } },
      error: null,
    };
    const expired = {
      id: 'batch_req_3',
      custom_id: KEY_C,
      response: null,
      error: { code: 'batch_expired', message: 'not completed in time' },
    };
    const out = parseBatchOutput(
      JSON.stringify(ok) + '\n',
      `${JSON.stringify(http500)}\nnot json\n${JSON.stringify(expired)}\n`,
    );
    expect(out.get(KEY_A)).toEqual({
      ok: true,
      text: '{"x":1}',
      inputTokens: 10,
      outputTokens: 3,
      cachedInputTokens: 0,
      reasoningTokens: 0,
    });
    expect(out.get(KEY_B)).toEqual({ ok: false, error: 'HTTP 500: boom' });
    expect(out.get(KEY_C)).toEqual({ ok: false, error: 'batch_expired: not completed in time' });
    expect(out.size).toBe(3);
  });

  it('reads the cached input and reasoning tokens of a batch answer, as a chat completion reports them', () => {
    const line = {
      custom_id: KEY_A,
      response: {
        status_code: 200,
        body: {
          choices: [{ index: 0, message: { role: 'assistant', content: '{}' } }],
          usage: {
            prompt_tokens: 2000,
            completion_tokens: 300,
            prompt_tokens_details: { cached_tokens: 1536, audio_tokens: 0 },
            completion_tokens_details: { reasoning_tokens: 256 },
          },
        },
      },
    };
    expect(parseBatchOutput(JSON.stringify(line))).toEqual(
      new Map([
        [
          KEY_A,
          {
            ok: true,
            text: '{}',
            inputTokens: 2000,
            outputTokens: 300,
            cachedInputTokens: 1536,
            reasoningTokens: 256,
          },
        ],
      ]),
    );
  });

  it('names the batcher and finds the run of a step', () => {
    expect(batcherId('r1', 'openai')).toBe('r1/batch/openai');
    expect(runOfWorkflow('my-run/conv-00012')).toBe('my-run');
    expect(runOfWorkflow('my-run/graph')).toBe('my-run');
    expect(runOfWorkflow('my-run')).toBe('my-run');
  });
});

describe('batch price and config', () => {
  it('prices batch answers at half by default, or at the configured batch price', () => {
    expect(priceOf({ input: 2, output: 8 }, 1e6, 1e6)).toBe(10);
    expect(priceOf({ input: 2, output: 8 }, 1e6, 1e6, true)).toBe(5);
    expect(priceOf({ input: 2, output: 8, batchInput: 1.5, batchOutput: 3 }, 1e6, 1e6, true)).toBe(4.5);
    expect(priceOf(undefined, 1e6, 1e6, true)).toBe(0);
  });

  const llm = (roles: object, kind = 'openai', batch?: object): unknown => ({
    providers: { p: { kind, apiKeyEnv: 'K', ...(batch ? { batch } : {}) } },
    default: { provider: 'p', model: 'm' },
    roles,
  });
  const paths = { cacheDir: '/c', ledgerFile: '/l' };

  it('resolves a role in batch mode with its settings and a retry deadline covering the batch window', () => {
    const config = LlmConfig.parse(llm({ teacher: { batch: true } }, 'openai', { collectSeconds: 5 }));
    const teacher = resolveRole(config, 'teacher', paths);
    expect(teacher).toMatchObject({
      batch: { ...BATCH_DEFAULTS, collectSeconds: 5 },
      retryMs: BATCH_RETRY_MS,
    });
    const plain = resolveRole(config, 'forth_translate', paths);
    expect(plain).not.toHaveProperty('batch');
    expect(plain).toMatchObject({ retryMs: 6 * 3_600_000 });
  });

  it('still reads a role resolved by an earlier release (no batch field)', () => {
    const old = {
      provider: 'llm',
      role: 'teacher',
      providerName: 'p',
      kind: 'openai',
      apiKeyEnv: 'K',
      timeoutMs: 1000,
      model: 'm',
      cache: true,
      cacheDir: '/c',
      ledgerFile: '/l',
    };
    expect(ResolvedRole.parse(old)).toEqual(old);
  });

  it('rejects batch mode on a gemini provider, naming the field', () => {
    const perRole = LlmConfig.safeParse(llm({ teacher: { batch: true } }, 'gemini'));
    expect(perRole.success).toBe(false);
    expect(perRole.error?.issues[0]?.path).toEqual(['roles', 'teacher', 'batch']);
    expect(perRole.error?.issues[0]?.message).toContain('batch mode needs a provider of kind openai');
    const viaDefault = RunConfig.safeParse({
      pool: 'p',
      conversations: 1,
      llm: {
        providers: { g: { kind: 'gemini', apiKeyEnv: 'K' } },
        default: { provider: 'g', model: 'm', batch: true },
      },
    });
    expect(viaDefault.error?.issues.map((i) => i.path.join('.'))).toContain('llm.default.batch');
    const typo = LlmConfig.safeParse(llm({}, 'openai', { maxRequest: 5 }));
    expect(typo.error?.issues[0]?.message).toContain('maxRequest');
  });
});

describe('batch activities against the fake Batch API', () => {
  let fake: FakeOpenAI;
  let dir: string;
  let endpoint: BatchEndpoint;
  const item = (key: string): BatchItem => ({
    key,
    role: 'teacher',
    model: 'm1',
    price: { input: 2, output: 8 },
  });
  const body = (n: number): unknown => ({
    model: 'm1',
    messages: [
      { role: 'system', content: 'magnet-role: teacher@1\nDistill.' },
      { role: 'user', content: `Task ${n}\n\nInput:\n\`\`\`json\n{"n":${n}}\n\`\`\`` },
    ],
    response_format: { type: 'json_object' },
  });

  beforeAll(async () => {
    process.env.MAGNET_BATCH_TEST_KEY = 'sk-batch-unit';
    fake = await startFakeOpenAI({
      script: (req) =>
        req.batch ? { content: JSON.stringify({ n: (req.input as { n: number }).n }) } : undefined,
    });
    dir = mkdtempSync(path.join(os.tmpdir(), 'magnet-batch-'));
    endpoint = {
      runId: 'run-1',
      providerName: 'fake',
      baseURL: `${fake.url}/v1`,
      apiKeyEnv: 'MAGNET_BATCH_TEST_KEY',
      timeoutMs: 5000,
      cacheDir: path.join(dir, 'cache'),
      ledgerFile: path.join(dir, 'llm-calls.jsonl'),
    };
    const paths = batchPaths(endpoint.cacheDir, endpoint.runId);
    for (const [i, key] of [KEY_A, KEY_B].entries()) {
      mkdirSync(path.dirname(paths.request(key)), { recursive: true });
      writeFileSync(paths.request(key), JSON.stringify({ body: body(i) }));
    }
  });
  afterAll(async () => {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('submits once per submission, collects answers and ledger lines once, fails items on request', async () => {
    const paths = batchPaths(endpoint.cacheDir, endpoint.runId);
    const input = { endpoint, submission: 'run-1/batch/fake#r#0', keys: [KEY_A, KEY_B, KEY_C] };
    const sub = await submitBatchActivity(input);
    expect(sub).toMatchObject({ submitted: [KEY_A, KEY_B], missing: [KEY_C], skipped: [] });
    // a retry of the same submission (its worker died after the provider took it) finds the same batch
    expect(await submitBatchActivity(input)).toEqual(sub);
    // and when it died before it could note the batch, the provider's list of batches has it
    rmSync(paths.submission(input.submission));
    expect(await submitBatchActivity(input)).toEqual(sub);
    expect(fake.batches).toHaveLength(1);

    const poll = { endpoint, batchId: sub.batchId as string, items: [item(KEY_A), item(KEY_B)] };
    const seen: string[] = [];
    let res: BatchPoll;
    do {
      res = await pollBatchActivity(poll);
      seen.push(res.status);
    } while (!res.outcome);
    expect(seen[0]).toBe('in_progress');
    expect(seen[seen.length - 1]).toBe('completed');
    expect(res.outcome).toEqual({ answered: [KEY_A, KEY_B], failed: [] });
    const result = JSON.parse(readFileSync(paths.result(KEY_B), 'utf8')) as {
      answer: { text: string };
      usage: { costUsd: number; inputTokens: number; outputTokens: number };
    };
    expect(result.answer.text).toBe('{"n":1}');
    expect(result.usage.costUsd).toBeCloseTo(
      priceOf({ input: 2, output: 8 }, result.usage.inputTokens, result.usage.outputTokens, true),
      12,
    );
    expect(existsSync(paths.request(KEY_A))).toBe(false);
    // polled again (the batcher's worker died before it heard the outcome): no second ledger line
    expect((await pollBatchActivity(poll)).outcome).toEqual(res.outcome);
    const ledger = readFileSync(endpoint.ledgerFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as LedgerLine);
    expect(ledger.map((l) => [l.request, l.batch, l.batchId])).toEqual([
      [KEY_A.slice(0, 16), true, sub.batchId],
      [KEY_B.slice(0, 16), true, sub.batchId],
    ]);
    expect(fake.log.map((e) => e.batch)).toEqual([sub.batchId, sub.batchId]);

    // answered meanwhile: not submitted again
    const again = await submitBatchActivity({ ...input, submission: 'run-1/batch/fake#r#1', keys: [KEY_A] });
    expect(again).toEqual({ submitted: [], skipped: [KEY_A], missing: [] });

    await failBatchItemsActivity({ endpoint, failures: [{ key: KEY_C, error: 'gave up' }] });
    expect(JSON.parse(readFileSync(paths.result(KEY_C), 'utf8'))).toEqual({ error: 'gave up' });
  });
});

describe('batcher workflow (activities mocked, time skipping)', () => {
  const ts = withTimeSkippingEnv();

  it('collects, de-duplicates, resends failed items, fails them after maxAttempts and ends when idle', async () => {
    const submitted: string[][] = [];
    const failedForGood: string[] = [];
    let polls = 0;
    const activities = {
      submitBatchActivity: async (i: { keys: string[] }) => {
        submitted.push(i.keys);
        return {
          batchId: `b${submitted.length}`,
          status: 'validating',
          submitted: i.keys,
          skipped: [],
          missing: [],
        };
      },
      pollBatchActivity: async (i: { batchId: string; items: BatchItem[] }): Promise<BatchPoll> => {
        polls += 1;
        if (polls % 2 === 1) return { status: 'in_progress' };
        // KEY_B fails in every batch
        const keys = i.items.map((x) => x.key);
        return {
          status: 'completed',
          outcome: {
            answered: keys.filter((k) => k !== KEY_B),
            failed: keys.filter((k) => k === KEY_B).map((key) => ({ key, error: 'HTTP 500' })),
          },
        };
      },
      failBatchItemsActivity: async (i: { failures: { key: string }[] }) => {
        failedForGood.push(...i.failures.map((f) => f.key));
      },
    };
    const taskQueue = 'batcher-test';
    const worker = await Worker.create({
      connection: ts.env.nativeConnection,
      taskQueue,
      workflowBundle: await bundleOf(require.resolve('../../src/workflows')),
      activities,
    });
    const input: BatcherInput = {
      runId: 'r',
      providerName: 'fake',
      apiKeyEnv: 'K',
      timeoutMs: 1000,
      cacheDir: '/nowhere',
      ledgerFile: '/nowhere/l',
      activityQueue: taskQueue,
      settings: { maxRequests: 10, collectSeconds: 60, pollSeconds: 600, maxAttempts: 2 },
    };
    const items = [KEY_A, KEY_B, KEY_A, KEY_C].map((key) => item(key));
    await worker.runUntil(async () => {
      const id = batcherId('r', 'fake');
      // the same request twice (a step retried after a crash): one line in the batch
      for (const it of items)
        await ts.env.client.workflow.signalWithStart(batcher, {
          workflowId: id,
          taskQueue,
          args: [input],
          signal: batchRequestSignal,
          signalArgs: [it],
        });
      await ts.env.client.workflow.getHandle(id).result();
    });
    expect(submitted).toEqual([[KEY_A, KEY_B, KEY_C], [KEY_B]]);
    expect(failedForGood).toEqual([KEY_B]);
  });

  function item(key: string): BatchItem {
    return { key, role: 'teacher', model: 'm1' };
  }
});
