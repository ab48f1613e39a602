/**
 * Waiting for a Temporal server that is not there yet: a worker restarted during a server outage (or started
 * before the server, as in a Compose file or a systemd unit) would otherwise exit at once, and the run it
 * should serve sits in Running until someone starts it again. Workers already connected ride outages out on
 * the SDK's own retries; this covers the first connection.
 */

export interface WaitOptions {
  /** How long to keep trying, in seconds; undefined: until the process is stopped; 0: one attempt. */
  seconds?: number;
  /** Where the waiting lines go (default: stderr, so stdout keeps only what the command reports). */
  say?: (line: string) => void;
}

/** The server cannot be reached (nothing listens, or it does not answer yet): worth another try. */
export class Unreachable extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'Unreachable';
  }
}

/**
 * Errors of a connection attempt that mean "not reachable (yet)": no listener, a server that is starting
 * (UNAVAILABLE), a connect that timed out. Anything else (TLS, credentials, a bad address) would fail the
 * same way on every try, so it is not retried.
 */
export function unreachable(e: unknown): boolean {
  if (e instanceof Unreachable) return true;
  const code = (e as { code?: unknown } | undefined)?.code;
  if (code === 14 || code === 4) return true; // gRPC UNAVAILABLE, DEADLINE_EXCEEDED
  const text = String(e instanceof Error ? e.message : e);
  return /UNAVAILABLE|DEADLINE_EXCEEDED|deadline|connection refused|ECONNREFUSED|ECONNRESET|tcp connect error|transport error|Connection reset/i.test(
    text,
  );
}

function reasonOf(e: unknown): string {
  if (e instanceof Unreachable) return e.reason;
  return String(e instanceof Error ? e.message : e).split('\n')[0] ?? '';
}

/** Backoff between attempts: 0.5 s doubling to at most 10 s (a restarted server is found within 10 s). */
export function backoffMs(attempt: number): number {
  return Math.min(10_000, 500 * 2 ** attempt);
}

/**
 * `attempt()`'s result, retried with backoff while it fails as unreachable, for `opts.seconds` (default: until
 * the process is stopped). One line when the wait begins and one when the server answers, never one per
 * attempt. The last error is rethrown when the time is up or the error is of another kind.
 */
export async function withServer<T>(
  address: string,
  attempt: () => Promise<T>,
  opts: WaitOptions = {},
): Promise<T> {
  const say = opts.say ?? ((line: string) => console.error(line));
  const deadline = opts.seconds === undefined ? Infinity : Date.now() + opts.seconds * 1000;
  const t0 = Date.now();
  let waiting = false;
  for (let n = 0; ; n++) {
    try {
      const value = await attempt();
      if (waiting)
        say(`Temporal server at ${address} answered after ${Math.round((Date.now() - t0) / 1000)} s`);
      return value;
    } catch (e) {
      if (!unreachable(e) || Date.now() >= deadline) throw e;
      if (!waiting) {
        waiting = true;
        const until =
          opts.seconds === undefined ? 'until it answers (Ctrl-C to stop)' : `for up to ${opts.seconds} s`;
        say(`waiting for the Temporal server at ${address} (${reasonOf(e)}); retrying ${until}`);
      }
      await new Promise((r) => setTimeout(r, Math.min(backoffMs(n), deadline - Date.now())));
    }
  }
}
