import { InfrastructureError, ToolError, type Json } from './types';

/** Limits of one call of a tool magnet does not control (the run config's `execution` section). */
export interface CallLimits {
  /** How long one call may take (ms). */
  timeoutMs: number;
  /** How big its output may be, as JSON text (bytes). */
  maxOutputBytes: number;
}

export const DEFAULT_LIMITS: CallLimits = { timeoutMs: 30_000, maxOutputBytes: 1_000_000 };

/** What an executor gets to stop early: abort on `signal` (timeout), stop reading past `maxOutputBytes`. */
export interface CallContext {
  signal: AbortSignal;
  maxOutputBytes: number;
  /** When `signal` aborts (epoch ms): an executor that tries more than once shares this time out. */
  deadline: number;
}

/**
 * Runs a call of a tool magnet does not control (an MCP server, an HTTP service). A tool that throws, hangs
 * or answers megabytes never crashes or stalls the worker. What the tool reports about the call (a ToolError:
 * an `isError` result, an HTTP 4xx) is the call's outcome; everything else is an InfrastructureError (the
 * tool did not really answer), which never becomes data:
 *
 * - after `timeoutMs` the call is given up and `signal` aborts, so an executor that passes it on (fetch, an
 *   MCP request, a child process) drops the connection or kills the process; the activity goes on either
 *   way, so a promise that never settles does not hold the activity slot. What cannot be stopped is a
 *   synchronous infinite loop in this process (JavaScript cannot pre-empt it): outside tools run in other
 *   processes (MCP servers) or machines (HTTP), where a hang is only a promise that does not settle.
 * - an output over `maxOutputBytes` of JSON is refused (executors may stop reading earlier: `maxOutputBytes`
 *   is passed on); an output that is not JSON (a BigInt, a cycle) is refused; the output returned is the
 *   JSON round trip of what the tool gave (no `undefined`, dates as strings), as it will be stored.
 * - `heartbeat` is called every `heartbeatMs` while waiting: an activity that waits for a slow tool must
 *   still tell Temporal it is alive, or its heartbeat timeout would start a second attempt beside it.
 */
export async function safeCall(
  fn: (ctx: CallContext) => Promise<unknown>,
  limits: Partial<CallLimits> = {},
  opts: { heartbeat?: () => void; heartbeatMs?: number } = {},
): Promise<Json> {
  const { timeoutMs, maxOutputBytes } = { ...DEFAULT_LIMITS, ...limits };
  const controller = new AbortController();
  const deadline = Date.now() + timeoutMs;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const e = new InfrastructureError(`no answer within ${seconds(timeoutMs)}`);
      controller.abort(e);
      reject(e);
    }, timeoutMs);
  });
  const beat = opts.heartbeat ? setInterval(opts.heartbeat, opts.heartbeatMs ?? 5000) : undefined;
  try {
    // a synchronous throw inside fn becomes a rejection here
    const output = await Promise.race([
      Promise.resolve().then(() => fn({ signal: controller.signal, maxOutputBytes, deadline })),
      timeout,
    ]);
    let text: string;
    try {
      text = JSON.stringify(output) ?? 'null';
    } catch (e) {
      throw new InfrastructureError(`the output is not JSON: ${messageOf(e)}`);
    }
    const size = Buffer.byteLength(text);
    if (size > maxOutputBytes)
      throw new InfrastructureError(`output of ${size} bytes is over the ${maxOutputBytes}-byte limit`);
    return JSON.parse(text) as Json;
  } catch (e) {
    if (e instanceof ToolError || e instanceof InfrastructureError) throw e;
    throw new InfrastructureError(`the tool failed: ${messageOf(e)}`);
  } finally {
    clearTimeout(timer);
    if (beat) clearInterval(beat);
  }
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
