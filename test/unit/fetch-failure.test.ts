import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetchFailure } from '../../src/core/fetch-failure';

/** What a real fetch to `url` throws within `timeoutMs`. */
async function failureOf(url: string, timeoutMs: number): Promise<unknown> {
  return fetch(url, { signal: AbortSignal.timeout(timeoutMs) }).then(
    () => new Error('answered'),
    (e: unknown) => e,
  );
}

describe('a failed fetch in words (one wording for providers, preflight and OpenAPI documents)', () => {
  it('a closed port is "connection refused", not "fetch failed"', async () => {
    const server = http.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    await new Promise((r) => server.close(r));
    const url = `http://127.0.0.1:${port}/v1/models`;
    expect(fetchFailure(await failureOf(url, 5000), 5000, url)).toEqual({
      code: 'ECONNREFUSED',
      reason: 'connection refused',
    });
  });

  it('a server that never answers is "no answer within N s"', async () => {
    const server = http.createServer(() => undefined);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      expect(fetchFailure(await failureOf(url, 200), 200, url)).toEqual({
        code: 'TimeoutError',
        reason: 'no answer within 0.2 s',
      });
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('an unknown host names the host; a reset and anything else keep their code', () => {
    const cause = (code: string, message = code): Error =>
      Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(message), { code }) });
    expect(fetchFailure(cause('ENOTFOUND'), 1000, 'https://api.example.test/v1').reason).toBe(
      'host api.example.test not found',
    );
    expect(fetchFailure(cause('ECONNRESET'), 1000).reason).toBe('the connection was reset');
    expect(fetchFailure(cause('EPROTO', 'wrong version number'), 1000)).toEqual({
      code: 'EPROTO',
      reason: 'EPROTO: wrong version number',
    });
    expect(fetchFailure(new Error('plain'), 1000)).toEqual({ reason: 'plain' });
  });
});
