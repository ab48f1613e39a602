import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { startFakeGemini, startFakeOpenAI, type FakeServer } from '../fakes';
import { vertexCredentials } from '../fakes/gemini-server';
import { magnetCli, until } from '../helpers/cli';
import { ITEMS_DOC_FILE, refusingURL } from '../helpers/items-service';
import { memoryEntry, notesEntry } from '../helpers/mcp';
import { makeRunDir } from '../helpers/run';
import { connect, temporalAddress } from '../helpers/temporal';

/**
 * Failures a user can act on, through the built CLI against the e2e dev server: the preflight stops a run
 * with a bad key or endpoint in seconds, before any workflow; a run that fails says why in one line.
 */

const KEY = 'sk-preflight-test';
let client: Client;
let openai: FakeServer;

beforeAll(async () => {
  client = await connect();
  openai = await startFakeOpenAI({ apiKey: KEY });
});
afterAll(async () => {
  await openai?.close();
  await client?.connection.close();
});

/** A local port nobody listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A local port that accepts connections and never answers (held open until the tests end). */
const silent: net.Server[] = [];
const held: net.Socket[] = [];
async function silentPort(): Promise<number> {
  const server = net.createServer((socket) => void held.push(socket));
  silent.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}
afterAll(async () => {
  for (const socket of held) socket.destroy();
  for (const s of silent) await new Promise((resolve) => s.close(resolve));
});

function providerConfig(provider: object): { home: string; configFile: string } {
  return makeRunDir({
    conversations: 2,
    llm: { providers: { fake: provider }, default: { provider: 'fake', model: 'm1' } },
  });
}

async function cli(
  args: string[],
  home: string,
  env: Record<string, string | undefined> = { PREFLIGHT_KEY: KEY },
): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  const r = await magnetCli(args, { TEMPORAL_ADDRESS: temporalAddress(), MAGNET_HOME: home, ...env });
  return { ...r, ms: Date.now() - started };
}

/**
 * The last line of stderr, the only `error:` line (the progress bar and worker warnings go to stderr
 * before it).
 */
function lastErrorLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines.filter((l) => l.startsWith('error: '))).toHaveLength(1);
  expect(lines.at(-1)).toMatch(/^error: /);
  return lines.at(-1) as string;
}

/** The one `error:` line on stderr. */
function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  return lines[0] as string;
}

async function executions(runId: string): Promise<number> {
  let n = 0;
  for await (const wf of client.workflow.list({ query: `WorkflowId = '${runId}'` })) if (wf) n++;
  return n;
}

describe('preflight: a bad key or endpoint fails in seconds with one line, before any workflow', () => {
  it.each([
    [
      'an unset key variable',
      () => ({ kind: 'openai', baseURL: `${openai.url}/v1`, apiKeyEnv: 'PREFLIGHT_UNSET_KEY' }),
      /^error: environment variable PREFLIGHT_UNSET_KEY \(API key for provider fake\) is not set$/,
    ],
    [
      'a refused connection',
      async () => ({
        kind: 'openai',
        baseURL: `http://127.0.0.1:${await closedPort()}/v1`,
        apiKeyEnv: 'PREFLIGHT_KEY',
      }),
      /^error: provider "fake" \(http:\/\/127\.0\.0\.1:\d+\/v1\): connection refused — check llm\.providers\.fake\.baseURL$/,
    ],
    [
      'a provider that never answers',
      async () => ({
        kind: 'openai',
        baseURL: `http://127.0.0.1:${await silentPort()}/v1`,
        apiKeyEnv: 'PREFLIGHT_KEY',
      }),
      /^error: provider "fake" \(http:\/\/127\.0\.0\.1:\d+\/v1\): no answer within 3 s — check llm\.providers\.fake\.baseURL and the network$/,
    ],
  ])('%s', async (what, provider, message) => {
    const { home, configFile } = providerConfig(await provider());
    const runId = `preflight-${Date.now()}`;
    const r = await cli(['run', '--config', configFile, '--run-id', runId], home);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(message);
    expect(r.stdout).toBe('');
    expect(r.ms).toBeLessThan(5000);
    console.log(`preflight: ${what} failed in ${r.ms} ms`);
    expect(await executions(runId)).toBe(0);
  });

  it('magnet worker and magnet attach check the key variables of the config they serve', async () => {
    const { home, configFile } = providerConfig({
      kind: 'openai',
      baseURL: `${openai.url}/v1`,
      apiKeyEnv: 'PREFLIGHT_KEY',
    });
    const unset = /^error: environment variable PREFLIGHT_KEY \(API key for provider fake\) is not set$/;
    const worker = await cli(['worker', '--config', configFile], home, {});
    expect(worker.code).toBe(1);
    expect(oneLine(worker.stderr)).toMatch(unset);
    expect(worker.ms).toBeLessThan(5000);

    const runId = `preflight-attach-${Date.now()}`;
    expect((await cli(['run', '--config', configFile, '--run-id', runId, '--detach'], home)).code).toBe(0);
    try {
      const attach = await cli(['attach', runId], home, {});
      expect(attach.code).toBe(1);
      expect(oneLine(attach.stderr)).toMatch(unset);
    } finally {
      await client.workflow.getHandle(runId).terminate('preflight test');
    }
  });

  it('a refused key (HTTP 401 from the OpenAI or Gemini models list) is named', async () => {
    const gemini = await startFakeGemini({ apiKey: KEY });
    try {
      for (const [kind, url] of [
        ['openai', `${openai.url}/v1`],
        ['gemini', gemini.url],
      ]) {
        const { home, configFile } = providerConfig({ kind, baseURL: url, apiKeyEnv: 'PREFLIGHT_KEY' });
        const runId = `preflight-401-${kind}-${Date.now()}`;
        const r = await cli(['run', '--config', configFile, '--run-id', runId], home, {
          PREFLIGHT_KEY: 'sk-wrong',
        });
        expect(r.code).toBe(1);
        expect(oneLine(r.stderr)).toMatch(
          /^error: provider "fake" \(.*\): the API key in PREFLIGHT_KEY was refused \(HTTP 401\) — check the key$/,
        );
        expect(r.ms).toBeLessThan(5000);
        expect(await executions(runId)).toBe(0);
      }
    } finally {
      await gemini.close();
    }
  });

  it('Vertex AI: no key variable; the credentials of the environment pass, missing ones are named', async () => {
    const vertex = await startFakeGemini();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'magnet-vertex-'));
    const credentials = path.join(dir, 'service-account.json');
    writeFileSync(credentials, JSON.stringify(vertexCredentials('my-project')));
    try {
      const { home, configFile } = providerConfig({
        kind: 'gemini',
        vertexai: true,
        project: 'my-project',
        location: 'europe-west4',
        baseURL: vertex.url,
      });
      const missing = path.join(dir, 'no-such-file.json');
      const bad = await cli(['run', '--config', configFile, '--run-id', `preflight-vx-${Date.now()}`], home, {
        GOOGLE_APPLICATION_CREDENTIALS: missing,
      });
      expect(bad.code).toBe(1);
      expect(oneLine(bad.stderr)).toMatch(
        /^error: provider "fake" \(http:\/\/127\.0\.0\.1:\d+\): no Google Cloud credentials: .*no-such-file\.json.* — set GOOGLE_APPLICATION_CREDENTIALS to a service account key file, or run gcloud auth application-default login$/,
      );
      expect(bad.ms).toBeLessThan(5000);
      const runId = `preflight-vx-ok-${Date.now()}`;
      const ok = await cli(['run', '--config', configFile, '--run-id', runId, '--detach'], home, {
        GOOGLE_APPLICATION_CREDENTIALS: credentials,
      });
      expect(ok.stderr).toBe('');
      expect(ok.code).toBe(0);
      expect(await executions(runId)).toBe(1);
      await client.workflow.getHandle(runId).terminate('preflight test');
      // a server that takes another token answers the publisher models list 401
      const strict = await startFakeGemini({ apiKey: 'another-token' });
      try {
        const other = providerConfig({
          kind: 'gemini',
          vertexai: true,
          project: 'my-project',
          location: 'europe-west4',
          baseURL: strict.url,
        });
        const refused = await cli(
          ['run', '--config', other.configFile, '--run-id', `preflight-vx-401-${Date.now()}`],
          other.home,
          { GOOGLE_APPLICATION_CREDENTIALS: credentials },
        );
        expect(refused.code).toBe(1);
        expect(oneLine(refused.stderr)).toMatch(
          /^error: provider "fake" \(.*\): the Google Cloud credentials were refused \(HTTP 401\) — check them \(.*\) and llm\.providers\.fake\.project \(my-project\)$/,
        );
      } finally {
        await strict.close();
      }
    } finally {
      await vertex.close();
    }
  });

  it('a good endpoint passes (a 404 models list too), and --no-preflight skips the check', async () => {
    const noModels = await startFakeOpenAI();
    try {
      for (const [provider, flags] of [
        [{ kind: 'openai', baseURL: `${openai.url}/v1`, apiKeyEnv: 'PREFLIGHT_KEY' }, []],
        // the fake Gemini path is not an OpenAI models list: the 404 counts as reachable
        [{ kind: 'openai', baseURL: `${noModels.url}/v1beta/x`, apiKeyEnv: 'PREFLIGHT_KEY' }, []],
        [
          {
            kind: 'openai',
            baseURL: `http://127.0.0.1:${await closedPort()}/v1`,
            apiKeyEnv: 'PREFLIGHT_KEY',
          },
          ['--no-preflight'],
        ],
      ] as const) {
        const { home, configFile } = providerConfig(provider);
        const runId = `preflight-ok-${Date.now()}`;
        const r = await cli(['run', '--config', configFile, '--run-id', runId, '--detach', ...flags], home);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        expect(r.stdout).toContain(`run ${runId} started`);
        expect(await executions(runId)).toBe(1);
        // nothing here works on it; no other test's worker may either
        await client.workflow.getHandle(runId).terminate('preflight test');
      }
    } finally {
      await noModels.close();
    }
  });
});

describe('preflight of the tools: a server or service this machine cannot reach fails in seconds', () => {
  /** A run config on one outside source (offline LLM: only the tools are checked). */
  function toolConfig(entry: object): { home: string; configFile: string } {
    const { home, configFile } = makeRunDir({ conversations: 2, llm: { default: { provider: 'offline' } } });
    writeFileSync(
      configFile,
      JSON.stringify({ pool: [entry], conversations: 2, llm: { default: { provider: 'offline' } } }),
    );
    return { home, configFile };
  }

  it.each([
    [
      'a refused base URL',
      async () => ({ openapi: { file: ITEMS_DOC_FILE, name: 'items', baseURL: await refusingURL() } }),
      /^error: \S+run\.json field pool: OpenAPI source items \(openapi\.baseURL http:\/\/127\.0\.0\.1:\d+\): connection refused$/,
    ],
    [
      'an unknown host',
      () => ({
        openapi: { file: ITEMS_DOC_FILE, name: 'items', baseURL: 'http://no-such-host.invalid/api' },
      }),
      /^error: \S+ field pool: OpenAPI source items \(openapi\.baseURL http:\/\/no-such-host\.invalid\/api\): host no-such-host\.invalid not found$/,
    ],
    [
      'an MCP command that exits at once',
      () => ({
        mcp: {
          name: 'gone',
          command: process.execPath,
          args: ['-e', 'console.error("no config"); process.exit(3)'],
        },
      }),
      /^error: \S+ field pool: MCP server gone \(mcp\.command ".*"\): did not start: it exited or closed the connection before answering initialize; its stderr: no config$/,
    ],
    [
      'a server that never answers tools/list',
      () => ({ mcp: notesEntry({ env: { SILENT_LIST: '1' } }, 'silent') }),
      /^error: \S+ field pool: MCP server silent \(mcp\.command ".*"\): did not start: no answer to tools\/list within 6 s; its stderr: notes server \d+ started$/,
    ],
  ])('%s', async (what, entry, message) => {
    const { home, configFile } = toolConfig(await entry());
    const runId = `tool-preflight-${Date.now()}`;
    const r = await cli(['run', '--config', configFile, '--run-id', runId], home);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(message);
    expect(r.ms).toBeLessThan(10_000);
    console.log(`tool preflight: ${what} failed in ${r.ms} ms`);
    expect(await executions(runId)).toBe(0);
  });

  it('magnet worker checks the tools of the config it serves; --no-preflight starts without', async () => {
    const { home, configFile } = toolConfig({
      openapi: { file: ITEMS_DOC_FILE, name: 'items', baseURL: await refusingURL() },
    });
    const worker = await cli(
      ['worker', '--task-queue', `tq-preflight-${Date.now()}`, '--config', configFile],
      home,
    );
    expect(worker.code).toBe(1);
    expect(oneLine(worker.stderr)).toMatch(/field pool: OpenAPI source items \(.*\): connection refused$/);
    expect(worker.ms).toBeLessThan(10_000);

    const runId = `tool-preflight-skip-${Date.now()}`;
    const r = await cli(
      ['run', '--config', configFile, '--run-id', runId, '--detach', '--no-preflight'],
      home,
    );
    expect(r.code).toBe(0);
    expect(await executions(runId)).toBe(1);
    await client.workflow.getHandle(runId).terminate('preflight test');
  });

  it("a run's start says whether each stdio MCP server keeps its state per conversation", async () => {
    const { home, configFile } = toolConfig({ mcp: notesEntry({}, 'plain') });
    writeFileSync(
      configFile,
      JSON.stringify({
        pool: [{ mcp: notesEntry({}, 'plain') }, { mcp: memoryEntry('apart') }],
        conversations: 2,
        llm: { default: { provider: 'offline' } },
      }),
    );
    const runId = `tool-state-scope-${Date.now()}`;
    const r = await cli(['run', '--config', configFile, '--run-id', runId, '--detach'], home);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /^warning: MCP server plain has no \$\{scopeDir\} or \$\{stateFile\} in its args, env or cwd: .*shared/m,
    );
    expect(r.stderr).not.toMatch(/MCP server apart/);
    expect(r.stdout).toContain('MCP server apart: state per conversation');
    await client.workflow.getHandle(runId).terminate('preflight test');
  });
});

describe('commands that answer without a worker', () => {
  it('status of a run no worker works on answers within 5 s from what Temporal stores; no id: the latest run', async () => {
    const { home, configFile } = makeRunDir({ conversations: 3, llm: { default: { provider: 'offline' } } });
    const runId = `no-worker-${Date.now()}`;
    expect((await cli(['run', '--config', configFile, '--run-id', runId, '--detach'], home)).code).toBe(0);
    try {
      const r = await cli(['status', runId], home);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.ms).toBeLessThan(5000);
      expect(r.stdout).toMatch(new RegExp(`^run ${runId}: RUNNING, phase pool`, 'm'));
      expect(r.stdout).toContain('3 not started (of 3)');
      expect(r.stdout).toContain(`no worker answers this run: counts from Temporal's records`);
      console.log(`status without a worker: ${r.ms} ms`);
      // no id: the latest run on the server (another test's may have started since: any run, answered)
      const latest = await cli(['status'], home);
      expect(latest.code).toBe(0);
      expect(latest.stdout).toMatch(/^run \S+: [A-Z_]+, phase /);
      expect(latest.ms).toBeLessThan(5000);
    } finally {
      await client.workflow.getHandle(runId).terminate('status test');
    }
  });
});

describe('a failed run says why in one line', () => {
  it('attach and status name the phase, the step, the failure type and the message', async () => {
    // A pool that turns bad after the CLI checked it fails the run for good (PoolError: no retry helps);
    // what fails only a step (an LLM refusing a request) waits for `magnet retry` instead.
    const { home, configFile } = makeRunDir({ conversations: 2 });
    const runId = `failed-run-${Date.now()}`;
    const started = await cli(['run', '--config', configFile, '--run-id', runId, '--detach'], home);
    expect(started.code).toBe(0);
    writeFileSync(
      path.join(home, 'pool', readdirSync(path.join(home, 'pool'))[0] as string),
      '[{"type": 1}]',
    );

    const r = await cli(['attach', runId], home);
    expect(r.code).toBe(1);
    const line = lastErrorLine(r.stderr);
    console.log(`failed run: ${line}`);
    expect(line).toMatch(
      new RegExp(`^error: run ${runId} failed: phase pool \\(loadPoolActivity\\): PoolError: .*pool`),
    );
    expect(r.stderr + r.stdout).not.toMatch(
      /Cannot close connection|WorkflowFailedError|Workflow execution failed/,
    );

    // watching without a worker digs out the same cause
    const watch = await cli(['attach', runId, '--no-worker'], home);
    expect(watch.code).toBe(1);
    expect(lastErrorLine(watch.stderr)).toBe(line);

    const status = await cli(['status', runId], home);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`^run ${runId}: FAILED, phase pool$`, 'm'));
    expect(status.stdout).toContain(`  failed: ${line.replace(`error: run ${runId} failed: `, '')}`);
  });

  it('status of a cancelled run counts every request it paid, from the call ledger', async () => {
    const { home, configFile } = providerConfig({
      kind: 'openai',
      baseURL: `${openai.url}/v1`,
      apiKeyEnv: 'PREFLIGHT_KEY',
    });
    const runId = `paid-${Date.now()}`;
    const before = openai.successes().length;
    const run = magnetCli(['run', '--config', configFile, '--run-id', runId], {
      TEMPORAL_ADDRESS: temporalAddress(),
      MAGNET_HOME: home,
      PREFLIGHT_KEY: KEY,
    });
    await until('some requests paid', async () =>
      openai.successes().length - before > 5 ? true : undefined,
    );
    expect((await cli(['cancel', runId], home)).code).toBe(0);
    await run;
    const paid = openai.successes().length - before;
    const status = await cli(['status', runId], home);
    expect(status.stdout).toMatch(new RegExp(`^run ${runId}: CANCELLED`, 'm'));
    const counted = Number(/paid \(call ledger\): (\d+) requests,/.exec(status.stdout)?.[1]);
    console.log(`cancelled run: ${paid} answers sent by the provider, ${counted} in the ledger`);
    // answers the provider sent while the cancellation reached their steps may never have been read (and
    // so not paid for by the SDK's caller); all others are counted, where the workflows' totals say 0
    expect(counted).toBeGreaterThan(0);
    expect(counted).toBeLessThanOrEqual(paid);
    expect(counted).toBeGreaterThanOrEqual(paid - 8);
  });
});
