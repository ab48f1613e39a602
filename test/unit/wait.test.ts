import { backoffMs, unreachable, Unreachable, withServer } from '../../src/server/wait';

/** The retry loop of workers that wait for their server (src/server/wait.ts), on real timers. */

it('retries while unreachable, says so once when the wait begins and once when the server answers', async () => {
  const lines: string[] = [];
  let tries = 0;
  const value = await withServer(
    'h:1',
    async () => {
      if (++tries < 3) throw new Unreachable('connection refused');
      return 'connected';
    },
    { say: (l) => lines.push(l) },
  );
  expect(value).toBe('connected');
  expect(tries).toBe(3);
  expect(lines).toHaveLength(2);
  expect(lines[0]).toBe(
    'waiting for the Temporal server at h:1 (connection refused); retrying until it answers (Ctrl-C to stop)',
  );
  expect(lines[1]).toMatch(/^Temporal server at h:1 answered after \d+ s$/);
});

it('gives up after the given seconds with the last error; 0 seconds is one attempt', async () => {
  let tries = 0;
  const refuse = async (): Promise<never> => {
    tries++;
    throw new Unreachable('connection refused');
  };
  await expect(withServer('h:1', refuse, { seconds: 0, say: () => undefined })).rejects.toThrow(
    'connection refused',
  );
  expect(tries).toBe(1);
  const t0 = Date.now();
  await expect(withServer('h:1', refuse, { seconds: 1, say: () => undefined })).rejects.toThrow(Unreachable);
  expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
  expect(Date.now() - t0).toBeLessThan(3000);
});

it('does not retry errors that would repeat on every try (TLS, credentials)', async () => {
  let tries = 0;
  const denied = async (): Promise<never> => {
    tries++;
    throw Object.assign(new Error('7 PERMISSION_DENIED: Request unauthorized.'), { code: 7 });
  };
  await expect(withServer('h:1', denied, { say: () => undefined })).rejects.toThrow('PERMISSION_DENIED');
  expect(tries).toBe(1);
});

it('knows the SDKs’ words for a server that is not there (yet)', () => {
  expect(
    unreachable(Object.assign(new Error('14 UNAVAILABLE: No connection established'), { code: 14 })),
  ).toBe(true);
  expect(
    unreachable(
      new Error('tonic::transport::Error(Transport, ConnectError("tcp connect error", Connection refused))'),
    ),
  ).toBe(true);
  expect(unreachable(new Error('Failed to connect before the deadline'))).toBe(true);
  expect(unreachable(new Error('invalid peer certificate: UnknownIssuer'))).toBe(false);
  expect([0, 1, 2, 3, 4, 5, 10].map(backoffMs)).toEqual([500, 1000, 2000, 4000, 8000, 10000, 10000]);
});
