import { isDeepStrictEqual } from 'node:util';
import { setupLabel, type SetupCall } from '../../core/environment';
import type { ToolSource } from '../../core/pool';
import { InfrastructureError, type ExecScope, type Json, type ScopeRebuild } from '../types';
import { startInstance, type McpInstance } from './connect';

/**
 * Server instances of this worker process, one per (server, conversation scope), so conversations never
 * see each other's data. Closed after `IDLE_MS` without calls, and the least recently used one when more
 * than `MAX_LIVE` run (its conversation, if it comes back, gets a fresh instance rebuilt from its history).
 */
export const limits = { MAX_LIVE: 16, IDLE_MS: 5 * 60_000 };

interface Live {
  instance: McpInstance;
  /** Every call this instance executed, in order: the state it holds. */
  log: { name: string; arguments: Record<string, unknown> }[];
  /** The scope object (one per activity attempt) of the last call: a new one means a new turn or attempt. */
  scope?: ExecScope;
  lastUsed: number;
}

type Call = ExecScope['history'][number];

/** One try of a call: how long it may take, and the signal that gives it up when the call's time is up. */
export interface Attempt {
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Runs one call on an instance (mcp/execute.ts; a parameter, so tests can fake a server's answers). */
type Execute = (
  instance: McpInstance,
  name: string,
  args: Record<string, unknown>,
  attempt?: Attempt,
) => Promise<Json>;

/** The one time limit of a call (safeCall's): when its signal aborts. */
interface CallTime {
  signal: AbortSignal;
  deadline: number;
}

const live = new Map<string, Live>();
/** Calls each attempt (scope object) made so far, by server: a server replaced mid-turn gets them again. */
const attempts = new WeakMap<ExecScope, Map<string, Call[]>>();

function attemptCalls(scope: ExecScope, server: string): Call[] {
  let byServer = attempts.get(scope);
  if (!byServer) attempts.set(scope, (byServer = new Map()));
  let calls = byServer.get(server);
  if (!calls) byServer.set(server, (calls = []));
  return calls;
}
const locks = new Map<string, Promise<unknown>>();
let sweeper: NodeJS.Timeout | undefined;

function liveKey(source: ToolSource, scope: ExecScope): string {
  return `${source.name}\u0000${scope.key}`;
}

/** Runs `fn` after every earlier task of the same key: one scope's calls never interleave. */
export function withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const prev = locks.get(key) ?? Promise.resolve();
  const next = prev.catch(() => undefined).then(fn);
  const tail = next.catch(() => undefined);
  locks.set(key, tail);
  void tail.then(() => locks.get(key) === tail && locks.delete(key));
  return next;
}

async function drop(key: string): Promise<void> {
  const l = live.get(key);
  if (!l) return;
  live.delete(key);
  await l.instance.close();
}

function sweep(): void {
  const now = Date.now();
  for (const [key, l] of live) if (now - l.lastUsed > limits.IDLE_MS) void withLock(key, () => drop(key));
  if (live.size === 0 && sweeper) {
    clearInterval(sweeper);
    sweeper = undefined;
  }
}

async function makeRoom(): Promise<void> {
  while (live.size >= limits.MAX_LIVE) {
    const [oldest] = [...live.entries()].sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    if (!oldest) return;
    // another scope's instance: its own lock keeps a call of it from running while it closes
    await withLock(oldest[0], () => drop(oldest[0]));
  }
}

/** The scope's recorded calls that this server executed (by tool name; the pool's names are unique). */
function recorded(instance: McpInstance, scope: ExecScope): ExecScope['history'] {
  return scope.history.filter((c) => instance.tools.has(c.name));
}

function sameLog(log: Live['log'], calls: ExecScope['history']): boolean {
  return (
    log.length === calls.length &&
    log.every((c, i) => c.name === calls[i]?.name && isDeepStrictEqual(c.arguments, calls[i]?.arguments))
  );
}

/**
 * A fresh instance with the scope's state: the conversation's recorded calls of this server executed again,
 * in order. Where the server now answers differently than recorded, `scope.rebuilt` says so.
 */
async function rebuild(
  source: ToolSource,
  scope: ExecScope,
  execute: Execute,
  signal?: AbortSignal,
): Promise<Live> {
  await makeRoom();
  const env = scope.environment?.[source.name];
  const instance = await startInstance(source, { state: env?.state, scopeKey: scope.key, signal });
  const l: Live = { instance, log: [], lastUsed: Date.now() };
  await runSetup(source, instance, env?.setup ?? [], execute, signal);
  const calls = [...recorded(instance, scope), ...attemptCalls(scope, source.name)];
  const differences: string[] = [];
  for (const [i, c] of calls.entries()) {
    let output: unknown;
    let error: string | undefined;
    try {
      output = await execute(instance, c.name, c.arguments, { signal });
    } catch (e) {
      error = (e as Error).message;
    }
    if (signal?.aborted) {
      // the call's time is up: this instance is unfinished, never live
      await instance.close();
      throw signal.reason as Error;
    }
    l.log.push({ name: c.name, arguments: c.arguments });
    if ((error === undefined) !== (c.error === undefined))
      differences.push(
        `call ${i + 1} (${c.name}): ${error === undefined ? 'succeeded, recorded as failed' : `failed (${error}), recorded as succeeded`}`,
      );
    else if (error === undefined && !isDeepStrictEqual(output, c.output))
      differences.push(`call ${i + 1} (${c.name}): output differs from the recorded one`);
  }
  if (calls.length > 0)
    (scope.rebuilt ??= []).push({
      source: source.name,
      calls: calls.length,
      differences,
    } satisfies ScopeRebuild);
  return l;
}

/**
 * The source's setup calls on a fresh instance, before any recorded call: they bring it to the drawn state
 * (a login, seeded records). Not in the log: every instance of the scope runs them. A setup call that fails
 * is the environment's failure, never the conversation's data: the step fails and names it.
 */
async function runSetup(
  source: ToolSource,
  instance: McpInstance,
  setup: readonly SetupCall[],
  execute: Execute,
  signal?: AbortSignal,
): Promise<void> {
  for (const [i, c] of setup.entries()) {
    try {
      if (!('tool' in c)) throw new Error('an MCP server takes tool calls, not HTTP requests');
      await execute(instance, c.tool, c.arguments, { signal });
    } catch (e) {
      await instance.close();
      if (signal?.aborted) throw signal.reason as Error;
      throw new InfrastructureError(
        `MCP server ${source.name}: setup call ${i + 1} (${setupLabel(c)}) failed: ${(e as Error).message}`,
      );
    }
  }
}

/**
 * The scope's instance, holding exactly the state of the scope's history (and of the calls this attempt
 * already made): a live one if it executed just those calls, else a fresh one rebuilt from the history
 * (first use on this worker, a retried turn whose failed attempt left calls behind, a crashed server).
 */
async function instanceFor(
  source: ToolSource,
  scope: ExecScope,
  execute: Execute,
  signal?: AbortSignal,
): Promise<Live> {
  const key = liveKey(source, scope);
  let l = live.get(key);
  if (l && (!l.instance.alive() || (l.scope !== scope && !sameLog(l.log, recorded(l.instance, scope))))) {
    await drop(key);
    l = undefined;
  }
  if (!l) {
    l = await rebuild(source, scope, execute, signal);
    live.set(key, l);
    sweeper ??= setInterval(sweep, Math.min(limits.IDLE_MS, 30_000)).unref();
  }
  l.scope = scope;
  l.lastUsed = Date.now();
  return l;
}

/**
 * How long a try of a call may take. A call has one time limit (`execution.timeoutSeconds`, `time`): the
 * first try gets half of what is left (at most the server's own `timeoutSeconds`), so a hung server can be
 * replaced and the call tried once more within the same limit; the second try gets the rest.
 */
function attemptFor(attempt: number, instance: McpInstance, time?: CallTime): Attempt {
  if (!time) return {};
  const left = Math.max(1, time.deadline - Date.now());
  const timeoutMs = attempt === 0 ? Math.min(instance.timeoutMs ?? left, Math.ceil(left / 2)) : left;
  return { timeoutMs, signal: time.signal };
}

/**
 * Executes one call in the scope's instance. A server that crashed or hung (`execute` throws a non-tool
 * error) is replaced by a fresh instance, rebuilt, and the call tried once more. When the call's time is up
 * (`time.signal`), whatever it waits for is given up and its instance closed, so the scope's next call does
 * not queue behind a hung one and gets a fresh instance.
 */
export function callInScope(
  source: ToolSource,
  scope: ExecScope,
  name: string,
  args: Record<string, unknown>,
  opts: {
    execute: Execute;
    isServerFailure: (e: unknown) => boolean;
    /** A read-only call (an observation): it changes no state, so the instance's log does not keep it. */
    readOnly?: boolean;
    time?: CallTime;
  },
): Promise<Json> {
  const { execute, isServerFailure, time } = opts;
  const key = liveKey(source, scope);
  const keep = (l: Live, call: Call): void => {
    if (opts.readOnly) return;
    l.log.push({ name: call.name, arguments: call.arguments });
    attemptCalls(scope, source.name).push(call);
  };
  return withLock(key, async () => {
    for (let attempt = 0; ; attempt++) {
      if (time?.signal.aborted) throw time.signal.reason as Error;
      let l: Live;
      try {
        l = await instanceFor(source, scope, execute, time?.signal);
      } catch (e) {
        if (time?.signal.aborted) await drop(key);
        throw e;
      }
      try {
        const output = await execute(l.instance, name, args, attemptFor(attempt, l.instance, time));
        keep(l, { name, arguments: args, output });
        return output;
      } catch (e) {
        if (!isServerFailure(e) && !time?.signal.aborted) {
          keep(l, { name, arguments: args, output: null, error: String(e) });
          throw e;
        }
        await drop(key);
        if (time?.signal.aborted) throw time.signal.reason as Error;
        process.stderr.write(
          `[mcp ${source.name}] ${name} failed (${(e as Error).message}): restarting the server\n`,
        );
        if (attempt >= 1) throw e;
      }
    }
  });
}

/** Closes a scope's instances (a negative sample's throwaway scope, once done). */
export async function closeScope(key: string): Promise<void> {
  for (const k of [...live.keys()]) if (k.endsWith(`\u0000${key}`)) await withLock(k, () => drop(k));
}

/** Closes every instance of this worker (worker shutdown, tests). */
export async function closeAll(): Promise<void> {
  await Promise.all([...live.keys()].map((k) => withLock(k, () => drop(k))));
}

/** How many instances run (for tests and the worker log). */
export function liveCount(): number {
  return live.size;
}
