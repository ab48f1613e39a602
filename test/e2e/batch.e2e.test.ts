import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { priceOf } from '../../src/core/config';
import type { LedgerLine } from '../../src/llm/request';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-server';
import type { LogEntry } from '../fakes';
import { until } from '../helpers/cli';
import { killLeftovers, sigkill, spawnMagnet, type Proc } from '../helpers/crash-procs';
import { endedIndices, makeRunDir, prepare, readRecords, writtenInLine } from '../helpers/run';
import { connect, temporalAddress } from '../helpers/temporal';
import { batcherId, batcherStatusQuery, progressQuery, type RunSummary } from '../../src/contracts';

/**
 * Batch mode survives a crash: a run whose teacher role goes through the OpenAI Batch API (the fake's), with
 * the `magnet run` process (client and worker) SIGKILLed while its first batch is pending at the provider.
 * `magnet attach` takes over; the run completes, every request was answered once by the fake (batch items
 * included) and the teacher's cost in the ledger and the summary is the batch price.
 */

const PLANNED = 4;
const RUN = `batch-${Date.now()}`;
const PRICE = { input: 2, output: 8 }; // batch price: half (1 and 4 per million tokens)
jest.setTimeout(8 * 60_000);

let fake: FakeOpenAI;
let client: Client;
let home: string;
let configFile: string;
let keep = false;
/** Repair requests (a second user message) that came as batch items. */
let batchRepairs = 0;
const t0 = Date.now();
const timeline: string[] = [];

function note(line: string): void {
  const s = `[batch +${((Date.now() - t0) / 1000).toFixed(1)}s] ${line}`;
  timeline.push(s);
  console.log(s);
}

beforeAll(async () => {
  // batches stay in_progress until the test lets them go: the kill happens while one is pending
  // and two items of the first batch go wrong once: one answered 500 (it goes into a later batch), one with
  // truncated JSON (its repair request goes through a batch too)
  const spoiled = new Map<string, 'http500' | 'truncated'>();
  fake = await startFakeOpenAI({
    latencyMs: 5,
    batch: { hold: true },
    script: (req) => {
      if (req.batch && req.repair) batchRepairs += 1;
      if (!req.batch || req.repair) return undefined;
      const id = JSON.stringify(req.body);
      if (spoiled.size < 2 && !spoiled.has(id)) {
        spoiled.set(id, spoiled.size === 0 ? 'http500' : 'truncated');
        return spoiled.get(id) === 'http500'
          ? { status: 500, body: { error: { message: 'fake: internal error', type: 'server_error' } } }
          : { content: '{"messages": [' };
      }
      return undefined;
    },
  });
  client = await connect();
  ({ home, configFile } = makeRunDir({
    seed: 31,
    conversations: PLANNED,
    concurrency: { conversations: PLANNED },
    llm: {
      providers: {
        fake: {
          kind: 'openai',
          baseURL: `${fake.url}/v1`,
          apiKeyEnv: 'MAGNET_FAKE_KEY',
          batch: { collectSeconds: 2, pollSeconds: 1 },
        },
      },
      default: { provider: 'fake', model: 'm1' },
      roles: { teacher: { batch: true } },
      prices: { m1: PRICE },
    },
  }));
  mkdirSync(path.join(home, 'logs'), { recursive: true });
});

afterAll(async () => {
  const killed = killLeftovers();
  if (killed.length) console.log(`batch test: killed leftover processes ${killed.join(', ')}`);
  await client?.connection.close().catch(() => undefined);
  await fake?.close();
  if (home && !keep) rmSync(home, { recursive: true, force: true });
});

/** How often each request key was signalled to the batcher's current execution. */
async function signalledKeys(): Promise<Map<string, number>> {
  const history = await client.workflow.getHandle(batcherId(RUN, 'fake')).fetchHistory();
  const counts = new Map<string, number>();
  for (const e of history.events ?? []) {
    const data = e.workflowExecutionSignaledEventAttributes?.input?.payloads?.[0]?.data;
    if (!data) continue;
    const { key } = JSON.parse(Buffer.from(data).toString('utf8')) as { key: string };
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

it('a run in batch mode completes after its worker is killed while a batch is pending, paying each request once at the batch price', async () => {
  const env = {
    ...process.env,
    TEMPORAL_ADDRESS: temporalAddress(),
    MAGNET_HOME: home,
    MAGNET_FAKE_KEY: 'sk-batch',
  };
  const procs: Proc[] = [];
  const start = (name: string, args: string[]): Proc => {
    const p = spawnMagnet(name, args, env, path.join(home, 'logs'));
    procs.push(p);
    note(`started ${name} (pid ${p.pid}): magnet ${args.join(' ')}`);
    return p;
  };
  try {
    const cli = start('cli', ['run', '--config', configFile, '--run-id', RUN]);
    // the first teacher requests were collected into a batch the provider holds in_progress
    const pendingBatch = await until(
      'a batch in progress',
      async () => fake.batches.find((b) => b.status === 'in_progress'),
      240_000,
    );
    const teacherDirect = fake.log.filter((e) => e.role === 'teacher').length;
    note(`batch ${pendingBatch.id} in_progress with ${pendingBatch.requests} requests`);
    const before = await client.workflow.getHandle(RUN).query(progressQuery);
    await sigkill(cli);
    const waiting = [...(await signalledKeys()).keys()];
    note(
      `SIGKILL cli while ${pendingBatch.id} is pending: completed ${before.completed}/${before.planned}, in flight ${before.inFlight}`,
    );
    expect(before.completed).toBeLessThan(PLANNED);
    expect(pendingBatch.status).toBe('in_progress');
    // the batcher lives on in Temporal (a timer), with no worker at all
    const batcher = await client.workflow.getHandle(batcherId(RUN, 'fake')).describe();
    expect(batcher.status.name).toBe('RUNNING');

    const attach = start('attach', ['attach', RUN]);
    // the killed worker's waiting steps are retried by the new one: each asks the batcher again (still pending)
    const asked = await until(
      'the retried steps asking the batcher again',
      async () => {
        const counts = await signalledKeys();
        return waiting.every((k) => (counts.get(k) ?? 0) >= 2) ? counts : undefined;
      },
      240_000,
    );
    note(
      `the ${waiting.length} steps waiting at the kill were retried and asked again (the batcher got ${[...asked.values()].reduce((a, n) => a + n, 0)} requests for ${asked.size} keys); releasing the batches`,
    );
    fake.holdBatches(false);
    const end = await Promise.race([
      attach.exited,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('the run did not end within 5 minutes')), 300_000).unref(),
      ),
    ]);
    const out = attach.output();
    note(`attach exited with ${end.code}: ${out.split('\n').find((l) => l.startsWith('run ')) ?? ''}`);
    expect(end.code).toBe(0);
    const written = writtenInLine(out, RUN);
    const summary: RunSummary = await client.workflow.getHandle(RUN).result();
    expect(summary.conversations).toBe(written);
    expect(summary.failed).toBe(0);
    const input = await prepare(home, configFile, RUN);
    // every planned conversation has its record: written, or emptied by the filters (filtered/)
    expect(endedIndices(input.outDir)).toEqual(Array.from({ length: PLANNED }, (_, i) => i));
    const { records } = await readRecords(input);
    expect(records).toHaveLength(summary.conversations);

    // the fake: teacher requests came only as batch items; every request was answered once
    expect(teacherDirect).toBe(0);
    const teacher = fake.log.filter((e) => e.role === 'teacher');
    expect(teacher.length).toBeGreaterThan(0);
    expect(teacher.every((e) => e.batch !== undefined)).toBe(true);
    expect(fake.log.filter((e) => e.batch !== undefined && e.role !== 'teacher')).toEqual([]);
    // the item answered 500 was sent again in a later batch; the truncated answer was repaired through a batch
    const failedItem = fake.log.find((e) => e.batch !== undefined && e.status === 500);
    expect(failedItem).toBeDefined();
    const resent = fake.log.filter((e) => e.bodyHash === failedItem?.bodyHash && e.status === 200);
    expect(resent).toHaveLength(1);
    expect(resent[0]?.batch).not.toBe(failedItem?.batch);
    expect(fake.log.filter((e) => e.outcome === 'scripted' && e.status === 200)).toHaveLength(1);
    expect(batchRepairs).toBe(1);
    const answered = new Map<string, LogEntry[]>();
    for (const e of fake.log)
      if (e.status === 200) answered.set(e.bodyHash, [...(answered.get(e.bodyHash) ?? []), e]);
    const twice = [...answered.values()].filter((es) => es.length > 1);
    expect(twice.map((es) => es.map((e) => `#${e.index} ${e.role} ${e.batch ?? ''}`))).toEqual([]);
    const batches = fake.batches.filter((b) => b.status === 'completed');
    note(
      `fake: ${fake.log.length} requests (${teacher.length} teacher requests as items of ${fake.batches.length} batches: ${fake.batches.map((b) => `${b.id} ${b.requests} ${b.status}`).join(', ')})`,
    );
    expect(batches.length).toBe(fake.batches.length);
    expect(batches.reduce((a, b) => a + b.requests, 0)).toBe(teacher.length);

    // the ledger: one line per paid request, the teacher's at the batch price
    const ledger = readFileSync(path.join(input.outDir, 'llm-calls.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as LedgerLine);
    expect(ledger).toHaveLength(answered.size);
    expect(new Set(ledger.map((l) => l.request)).size).toBe(ledger.length);
    const teacherLines = ledger.filter((l) => l.role === 'teacher');
    expect(teacherLines).toHaveLength(teacher.filter((e) => e.status === 200).length);
    for (const l of ledger) {
      expect(l.batch === true).toBe(l.role === 'teacher');
      expect(l.costUsd).toBeCloseTo(priceOf(PRICE, l.inputTokens, l.outputTokens, l.role === 'teacher'), 12);
    }
    const teacherCost = teacherLines.reduce((a, l) => a + l.costUsd, 0);
    const fullPrice = teacherLines.reduce((a, l) => a + priceOf(PRICE, l.inputTokens, l.outputTokens), 0);
    expect(teacherCost).toBeCloseTo(fullPrice / 2, 12);
    expect(summary.ledger.byRole.teacher?.costUsd).toBeCloseTo(teacherCost, 12);
    // what the conversations counted (the summary's usage) is what the ledger says was paid
    expect(summary.usage.requests).toBe(ledger.length);
    expect(summary.usage.costUsd).toBeCloseTo(summary.ledger.costUsd, 12);
    note(
      `ledger: ${ledger.length} paid requests, teacher ${teacherLines.length} at the batch price $${teacherCost.toFixed(6)} (full price $${fullPrice.toFixed(6)}); run total $${summary.ledger.costUsd.toFixed(6)}`,
    );
  } catch (e) {
    const status = await client.workflow
      .getHandle(batcherId(RUN, 'fake'))
      .query(batcherStatusQuery)
      .catch((err: unknown) => String(err));
    console.log(
      `batcher: ${JSON.stringify(status)}; fake batches: ${JSON.stringify(fake.batches.map((b) => [b.id, b.status, b.requests]))}; home ${home}`,
    );
    keep = true;
    for (const p of procs)
      console.log(`--- ${p.name} (pid ${p.pid}) output tail:\n${p.output().slice(-3000)}`);
    throw e;
  } finally {
    console.log(`batch test timeline:\n${timeline.join('\n')}`);
  }
});
