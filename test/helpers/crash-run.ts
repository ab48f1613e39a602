import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { startFakeOpenAI, type FakeServer } from '../fakes';
import { startGateProxy, type GateProxy } from './crash-proxy';
import type { Client } from '@temporalio/client';
import { until } from './cli';
import { killLeftovers, spawnMagnet, type Proc } from './crash-procs';
import { makeRunDir } from './run';

/** What the tests that kill processes during a run share: the LLM behind a gate, a timeline, polling. */

/** Timestamped lines, printed at once and kept to print again at the end. */
export function startTimeline(tag: string): { note: (line: string) => void; lines: string[] } {
  const t0 = Date.now();
  const lines: string[] = [];
  const note = (line: string): void => {
    const s = `[${tag} +${((Date.now() - t0) / 1000).toFixed(1)}s] ${line}`;
    lines.push(s);
    console.log(s);
  };
  return { note, lines };
}

/** Polls `fn` until it returns a value; errors count as "not yet", the last one is named on timeout. */
export async function pollUntil<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 240_000,
): Promise<T> {
  let last: unknown;
  const remembered = (): Promise<T | undefined> =>
    fn().catch((e: unknown) => {
      last = e;
      return undefined;
    });
  try {
    return await until(what, remembered, timeoutMs);
  } catch (e) {
    throw new Error(`${(e as Error).message}${last ? ` (last error: ${String(last)})` : ''}`);
  }
}

/**
 * The fake OpenAI server behind a gate proxy, and a run folder whose every role asks it (key in
 * MAGNET_FAKE_KEY: give each process `processKey(name)` so the proxy knows whose requests it holds), with a
 * `logs/` folder for the processes' output.
 */
export async function gatedRun(opts: { seed: number; conversations: number }): Promise<{
  fake: FakeServer;
  proxy: GateProxy;
  home: string;
  configFile: string;
  logDir: string;
}> {
  // A latency of 30-80 ms per answer, so that activities are in flight whenever something is killed.
  const fake = await startFakeOpenAI({
    latencyMs: 30,
    script: (req) => ({ delayMs: (req.requestIndex * 37) % 51 }),
  });
  const proxy = await startGateProxy(fake.url);
  const { home, configFile } = makeRunDir({
    seed: opts.seed,
    conversations: opts.conversations,
    concurrency: { conversations: 8 },
    // the checks compare the export with the records line by line: keep repeated queries
    quality: { dedup: false },
    llm: {
      providers: { fake: { kind: 'openai', baseURL: `${proxy.url}/v1`, apiKeyEnv: 'MAGNET_FAKE_KEY' } },
      default: { provider: 'fake', model: 'm1' },
    },
  });
  const logDir = path.join(home, 'logs');
  mkdirSync(logDir, { recursive: true });
  return { fake, proxy, home, configFile, logDir };
}

/** Kills what a test left running, then closes its client, proxy and fake and deletes its run folder. */
export async function endGatedRun(
  tag: string,
  r: { client?: Client; proxy?: GateProxy; fake?: FakeServer; home?: string },
): Promise<void> {
  const killed = killLeftovers();
  if (killed.length) console.log(`${tag} test: killed leftover processes ${killed.join(', ')}`);
  await r.client?.connection.close().catch(() => undefined);
  await r.proxy?.close();
  await r.fake?.close();
  if (r.home) rmSync(r.home, { recursive: true, force: true });
}

/**
 * `start(name, args)`: `magnet <args>` as process `name` (its environment from `env(name)`), noted in the
 * timeline and kept in `procs`, whose output a failed test prints.
 */
export function magnetStarter(
  env: (name: string) => NodeJS.ProcessEnv,
  logDir: string,
  note: (line: string) => void,
): { start: (name: string, args: string[]) => Proc; procs: Proc[] } {
  const procs: Proc[] = [];
  const start = (name: string, args: string[]): Proc => {
    const p = spawnMagnet(name, args, env(name), logDir);
    procs.push(p);
    note(`started ${name} (pid ${p.pid}): magnet ${args.join(' ')}`);
    return p;
  };
  return { start, procs };
}
