import { mkdirSync, readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { OpenAIChatExample } from '../../src/export/openai';
import type { FakeServer, LogEntry } from '../fakes';
import { checkChatExample } from '../helpers/checks';
import { endedIndices, prepare, readRecords, writtenInLine } from '../helpers/run';
import { processKey, type GateProxy } from '../helpers/crash-proxy';
import { endGatedRun, gatedRun, magnetStarter, pollUntil, startTimeline } from '../helpers/crash-run';
import { portOpen } from '../../src/server/dev-server';
import {
  childPids,
  commandLine,
  freePort,
  sigkill,
  sleep,
  startDevServer,
  type DevServer,
  type Proc,
} from '../helpers/crash-procs';
import { progressQuery, type RunProgress, type RunSummary } from '../../src/contracts';

/**
 * Crash survival, proven with real processes: during one 60-conversation run against a private Temporal
 * dev server, the test SIGKILLs (c) the `magnet run` CLI (client + in-process worker), (a) a `magnet worker`
 * process in the middle of LLM activities, (b) the Temporal dev server itself (restarted on the same
 * SQLite file and ports), and (c') a pure `magnet attach` client; then it checks that the run ends with
 * exactly the planned conversations, no duplicate records, and no LLM request answered twice.
 */

const PLANNED = 60;
const RUN = `crash-${Date.now()}`;
/** LLM activities of a killed worker are retried after their heartbeat timeout (2 min, src/workflows/proxies.ts). */
jest.setTimeout(9 * 60_000);

let home: string;
let configFile: string;
let logDir: string;
let fake: FakeServer;
let proxy: GateProxy;
let temporal: DevServer;
let client: Client | undefined;
const t0 = Date.now();
const { note, lines: timeline } = startTimeline('crash');

function env(name: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TEMPORAL_ADDRESS: temporal.address,
    MAGNET_HOME: home,
    MAGNET_FAKE_KEY: processKey(name),
  };
}

async function connect(): Promise<Client> {
  const connection = await Connection.connect({ address: temporal.address });
  return new Client({ connection });
}

async function progress(): Promise<RunProgress> {
  if (!client) throw new Error('no client');
  return client.workflow.getHandle(RUN).query(progressQuery);
}

const until = pollUntil;

/** `p`, or an error after `ms` (the timer does not outlive the wait). */
async function within<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function progressLine(p: RunProgress): string {
  return `completed ${p.completed}/${p.planned}, failed ${p.failed}, in flight ${p.inFlight}, started ${p.started}`;
}

async function completedAtLeast(n: number): Promise<RunProgress> {
  return until(`${n} completed conversations`, async () => {
    const p = await progress();
    return p.completed >= n ? p : undefined;
  });
}

/**
 * SIGKILLs `victim` while it has LLM requests open: the proxy holds new requests, lets the answers already
 * on their way arrive (and gives the processes time to store them), checks that the victim has requests
 * open, kills it, and forwards the held requests of the survivors. The victim's held requests die with it.
 */
async function killMidActivity(
  victim: Proc,
  survivors: string[],
): Promise<{ before: RunProgress; open: number; dropped: number }> {
  for (let attempt = 0; ; attempt++) {
    await proxy.hold();
    await sleep(750);
    const held = proxy.heldBy();
    const before = await progress().catch(() => undefined);
    const mine = held[victim.name] ?? 0;
    const others = survivors.reduce((a, s) => a + (held[s] ?? 0), 0);
    // Prefer a moment when the survivors also have work, so the run keeps moving while the victim's
    // activities wait for their timeout; but never wait for that forever.
    if (before && mine > 0 && before.inFlight > 0 && (others > 0 || survivors.length === 0 || attempt >= 8)) {
      const droppedBefore = proxy.stats.droppedBy[victim.name] ?? 0;
      try {
        await sigkill(victim);
        await sleep(500); // the victim's connections are closed now
      } finally {
        proxy.release();
      }
      const dropped = (proxy.stats.droppedBy[victim.name] ?? 0) - droppedBefore;
      return { before, open: mine, dropped };
    }
    proxy.release();
    if (attempt > 40) throw new Error(`${victim.name} never had an LLM request open`);
    await sleep(200 + 50 * attempt);
  }
}

beforeAll(async () => {
  ({ fake, proxy, home, configFile, logDir } = await gatedRun({ seed: 23, conversations: PLANNED }));
  const dir = path.join(home, 'temporal');
  mkdirSync(dir, { recursive: true });
  temporal = await startDevServer(
    { dir, port: await freePort(), uiPort: await freePort(), dbFile: path.join(dir, 'dev.sqlite') },
    1,
  );
  client = await connect();
});

afterAll(() => endGatedRun('crash', { client, proxy, fake, home }));

describe('crash survival', () => {
  it(`a ${PLANNED}-conversation run survives SIGKILL of the CLI, a worker and the Temporal server`, async () => {
    const { start, procs } = magnetStarter(env, logDir, note);
    try {
      // The CLI starts the run and works on it in-process; a second worker process joins.
      const cli = start('cli', ['run', '--config', configFile, '--run-id', RUN]);
      await until('the run to start', async () => ((await progress()).phase ? true : undefined));
      const w1 = start('worker-1', ['worker', '--run', RUN]);
      const p1 = await completedAtLeast(8);
      note(`progress: ${progressLine(p1)}`);

      // (c) the CLI, with its in-process worker in the middle of LLM activities
      const c = await killMidActivity(cli, ['worker-1']);
      note(
        `(c) SIGKILL cli at ${progressLine(c.before)}; it had ${c.open} LLM requests open (${c.dropped} died with it)`,
      );
      const w2 = start('worker-2', ['worker', '--run', RUN]);

      // (a) a worker process, in the middle of LLM activities
      await completedAtLeast(c.before.completed + 8);
      const a = await killMidActivity(w1, ['worker-2']);
      note(
        `(a) SIGKILL worker-1 at ${progressLine(a.before)}; it had ${a.open} LLM requests open (${a.dropped} died with it)`,
      );
      const w3 = start('worker-3', ['worker', '--run', RUN]);

      // (b) the Temporal dev server (a single Go process), restarted on the same database file and ports
      const b = await completedAtLeast(a.before.completed + 8);
      const cmd = commandLine(temporal.proc.pid);
      expect(cmd).toContain('start-dev');
      expect(cmd).toContain(temporal.dbFile);
      expect(childPids(temporal.proc.pid)).toEqual([]);
      const bNow = await progress();
      // kill it while LLM requests are open: their activities finish while the server is down
      const open = await until('an open LLM request', async () => proxy.pending() || undefined, 30_000);
      await sigkill(temporal.proc);
      expect(await portOpen(temporal.port)).toBe(false); // it was the process serving the port
      note(
        `(b) SIGKILL Temporal dev server pid ${temporal.proc.pid} at ${progressLine(bNow)}; ${open} LLM requests open`,
      );
      expect(b.completed).toBeLessThan(PLANNED);
      await sleep(1500);
      temporal = await startDevServer(
        {
          dir: path.dirname(temporal.dbFile),
          port: temporal.port,
          uiPort: temporal.uiPort,
          dbFile: temporal.dbFile,
        },
        2,
      );
      note(`restarted the Temporal dev server (pid ${temporal.proc.pid}) on ${temporal.dbFile}`);
      const afterRestart = await until('the run to answer queries after the restart', progress, 120_000);
      note(`after the restart: ${progressLine(afterRestart)}`);

      // (c') a pure client (attach --no-worker) killed while watching; a second one waits for the end
      const watcher = start('attach-1', ['attach', RUN, '--no-worker']);
      await sleep(2000);
      await sigkill(watcher);
      note(`(c') SIGKILL attach-1 (a watching client) at ${progressLine(await progress())}`);
      const attach = start('attach-2', ['attach', RUN, '--no-worker']);
      const end = await within(
        attach.exited,
        300_000,
        `the run did not end within 5 minutes after the restart (${progressLine(afterRestart)})`,
      );
      const out = attach.output();
      note(`attach-2 exited with ${end.code}: ${out.split('\n').find((l) => l.startsWith('run ')) ?? ''}`);
      expect(end.code).toBe(0);
      const written = writtenInLine(out, RUN);
      expect(written).toBeDefined();

      // cross-check with the workflow result and `magnet status --json`
      const summary: RunSummary = await (client as Client).workflow.getHandle(RUN).result();
      expect(summary.conversations).toBe(written);
      expect(summary.failed).toBe(0);
      const status = start('status', ['status', RUN, '--json']);
      expect((await status.exited).code).toBe(0);
      const text = status.output();
      const report = JSON.parse(text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1)) as RunProgress & {
        status: string;
      };
      expect(report.status).toBe('COMPLETED');
      expect(report).toMatchObject({
        phase: 'done',
        planned: PLANNED,
        completed: PLANNED,
        failed: 0,
        inFlight: 0,
      });

      // the output: exactly conv-00000..conv-00059 (written, or emptied by the filters), each record valid,
      // no duplicates
      const input = await prepare(home, configFile, RUN);
      expect(endedIndices(input.outDir)).toEqual(Array.from({ length: PLANNED }, (_, i) => i));
      const { records } = await readRecords(input);
      expect(records).toHaveLength(written as number);
      expect(new Set(records.map((r) => r.id)).size).toBe(written);
      expect(
        existsSync(path.join(input.outDir, 'failed')) ? readdirSync(path.join(input.outDir, 'failed')) : [],
      ).toEqual([]);
      const lines = readFileSync(path.join(input.outDir, 'sft.openai.jsonl'), 'utf8').trim().split('\n');
      expect(lines).toHaveLength(written as number);
      const examples = lines.map((l) => JSON.parse(l) as OpenAIChatExample);
      const provenance = readFileSync(path.join(input.outDir, 'sft.openai.provenance.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { line: number; id: string });
      expect(provenance.map((p) => p.line)).toEqual(examples.map((_, i) => i + 1));
      expect(new Set(provenance.map((p) => p.id)).size).toBe(written);
      examples.forEach((e, i) => checkChatExample(e, records[i] as (typeof records)[number]));
      const contents = new Set(records.map((r) => JSON.stringify(r.turns.map((t) => [t.query, t.calls]))));
      note(`output: ${records.length} records, ${contents.size} distinct in content (queries and calls)`);

      // the LLM: every answer reached a living process, none was asked for again, none was answered twice
      const answered = new Map<string, LogEntry[]>();
      for (const e of fake.log)
        if (e.status === 200) answered.set(e.bodyHash, [...(answered.get(e.bodyHash) ?? []), e]);
      const twice = [...answered.values()].filter((es) => es.length > 1);
      const describe = (es: LogEntry[]): string =>
        es
          .map((e) => {
            const got = proxy.stats.answers.get(e.index);
            return `#${e.index} ${e.role} sent +${((e.time - t0) / 1000).toFixed(2)}s by ${got?.who}, answered +${got ? ((got.at - t0) / 1000).toFixed(2) : '?'}s`;
          })
          .join(' | ');
      note(
        `fake LLM: ${fake.log.length} requests, ${answered.size} distinct requests answered, ${twice.length} answered twice; proxy: forwarded ${proxy.stats.forwarded}, delivered ${proxy.stats.delivered}, lost ${proxy.stats.lost}, dropped with their process ${proxy.stats.dropped}`,
      );
      for (const es of twice) note(`answered twice: ${describe(es)}`);
      // each kill happened mid-run, with activities in flight; the workers outlived the server restart
      for (const k of [c, a]) {
        expect(k.before.completed).toBeLessThan(PLANNED);
        expect(k.before.inFlight).toBeGreaterThan(0);
        expect(k.open).toBeGreaterThan(0);
        expect(k.dropped).toBeGreaterThanOrEqual(k.open); // it may have sent more meanwhile
      }
      expect(bNow.completed).toBeLessThan(PLANNED);
      expect(bNow.inFlight).toBeGreaterThan(0);
      expect(a.before.completed).toBeGreaterThan(c.before.completed);
      expect(bNow.completed).toBeGreaterThan(a.before.completed);
      // the workers outlived the server's restart and stopped on their own once the run had ended
      for (const w of [w2, w3]) {
        expect((await w.exited).code).toBe(0);
        expect(w.output()).toContain(`run ${RUN} has ended (COMPLETED): magnet worker stops`);
      }

      expect(proxy.stats.lost).toBe(0);
      // (1) an answer that had reached magnet was not asked for again later, e.g. by an activity retried
      // after a crash (a retry comes >= 1 s later; closer ones are races of identical requests, see (2))
      const reasked = twice.filter((es) => {
        const first = proxy.stats.answers.get((es[0] as LogEntry).index)?.at ?? Infinity;
        return es.slice(1).some((e) => e.time >= first + 1000);
      });
      expect(reasked.map(describe)).toEqual([]);
      // (2) no request was answered twice at all (also not two identical requests sent at the same time)
      expect(twice.map(describe)).toEqual([]);
      note(`done in ${((Date.now() - t0) / 1000).toFixed(0)}s`);
    } catch (e) {
      for (const p of procs)
        console.log(`--- ${p.name} (pid ${p.pid}) output tail:\n${p.output().slice(-3000)}`);
      console.log(`--- temporal log tail:\n${temporal.proc.output().slice(-3000)}`);
      throw e;
    } finally {
      console.log(`crash test timeline:\n${timeline.join('\n')}`);
    }
  });
});
