import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseConfig } from '../../src/io/config-file';
import { safeCall, type CallContext } from '../../src/tools/safe';
import { InfrastructureError, ToolError } from '../../src/tools/types';

/**
 * Outside tools that throw, hang or answer megabytes, for real: an HTTP server on a local port and child
 * processes, called the way the MCP/HTTP executors do (fetch and processes that honour the abort signal).
 */
const TEN_MB = 10 * 1024 * 1024;
let server: http.Server;
let base: string;
const closedEarly: string[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/hang') {
      // never answers; notes when the client gives up on the connection
      req.socket.on('close', () => closedEarly.push('/hang'));
      return;
    }
    if (req.url === '/huge') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ blob: 'x'.repeat(TEN_MB) }));
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ ok: true, when: new Date(0), nothing: undefined }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const get = (path: string) => async (ctx: CallContext) =>
  (await fetch(`${base}${path}`, { signal: ctx.signal })).json();

/** A node child process printing `script`'s output; killed through the call's abort signal. */
const proc = (script: string) => (ctx: CallContext) =>
  new Promise<unknown>((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], {
      signal: ctx.signal,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', reject);
    child.on('close', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch (e) {
        reject(e as Error);
      }
    });
    procs.push(child);
  });
const procs: ReturnType<typeof spawn>[] = [];

/** The message of an infrastructure failure (the tool did not really answer: never data). */
async function toolError(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(InfrastructureError);
  expect(e).not.toBeInstanceOf(ToolError);
  return (e as Error).message;
}

describe('safeCall', () => {
  it('returns the JSON round trip of a good answer', async () => {
    expect(await safeCall(get('/ok'))).toEqual({ ok: true, when: '1970-01-01T00:00:00.000Z' });
  });

  it('an HTTP service that never answers is an infrastructure failure after the timeout, and its connection is dropped', async () => {
    const before = closedEarly.length;
    expect(await toolError(safeCall(get('/hang'), { timeoutMs: 300 }))).toBe('no answer within 0.3 s');
    // the abort signal reached fetch: the server sees the client hang up
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (closedEarly.length > before) resolve(void clearInterval(poll));
      }, 10);
    });
    expect(closedEarly.slice(before)).toEqual(['/hang']);
  });

  it('a 10 MB HTTP answer is an infrastructure failure naming its size and the limit', async () => {
    expect(await toolError(safeCall(get('/huge'), { maxOutputBytes: 1_000_000 }))).toBe(
      `output of ${TEN_MB + 11} bytes is over the 1000000-byte limit`,
    );
  });

  it('a process that hangs is killed at the timeout; one that prints 10 MB is refused', async () => {
    expect(await toolError(safeCall(proc('setInterval(() => {}, 1000)'), { timeoutMs: 300 }))).toBe(
      'no answer within 0.3 s',
    );
    const hung = procs.at(-1);
    if (hung && hung.exitCode === null && hung.signalCode === null)
      await new Promise((resolve) => hung.once('exit', resolve));
    expect(hung?.signalCode).toBe('SIGTERM');
    const big = `process.stdout.write(JSON.stringify({ data: 'y'.repeat(${TEN_MB}) }))`;
    expect(await toolError(safeCall(proc(big)))).toMatch(
      /^output of \d+ bytes is over the 1000000-byte limit$/,
    );
  });

  it('a tool that throws (an Error, a string, synchronously) or answers what is not JSON is an infrastructure failure', async () => {
    expect(await toolError(safeCall(() => Promise.reject(new Error('connection refused'))))).toBe(
      'the tool failed: connection refused',
    );
    expect(await toolError(safeCall(() => Promise.reject('boom')))).toBe('the tool failed: boom');
    expect(
      await toolError(
        safeCall(() => {
          throw new TypeError('bad input');
        }),
      ),
    ).toBe('the tool failed: bad input');
    expect(await toolError(safeCall(() => Promise.resolve({ n: BigInt(1) })))).toMatch(
      /^the output is not JSON: /,
    );
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(await toolError(safeCall(() => Promise.resolve(cycle)))).toMatch(/^the output is not JSON: /);
  });

  it('heartbeats while waiting for a slow tool, and stops when it answers', async () => {
    let beats = 0;
    let answer: (v: unknown) => void = () => undefined;
    const call = safeCall(
      () => new Promise((resolve) => (answer = resolve)),
      { timeoutMs: 10_000 },
      {
        heartbeat: () => beats++,
        heartbeatMs: 20,
      },
    );
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (beats >= 3) resolve(void clearInterval(poll));
      }, 5);
    });
    answer({ done: true });
    expect(await call).toEqual({ done: true });
    const after = beats;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(beats).toBe(after);
  });
});

describe('execution limits in the run config', () => {
  it('default to 30 s and 1 MB; bad values name the field', () => {
    const c = parseConfig({ pool: 'p', conversations: 1 }, 'c.json');
    expect(c.execution).toMatchObject({ timeoutSeconds: 30, maxOutputBytes: 1_000_000 });
    expect(() =>
      parseConfig({ pool: 'p', conversations: 1, execution: { timeoutSeconds: 0 } }, 'c.json'),
    ).toThrow(/c\.json field execution\.timeoutSeconds: /);
    expect(() =>
      parseConfig({ pool: 'p', conversations: 1, execution: { maxOutputBytes: 1.5e9 } }, 'c.json'),
    ).toThrow(/c\.json field execution\.maxOutputBytes: /);
  });
});
