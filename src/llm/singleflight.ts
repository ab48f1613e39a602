import { promises as fs } from 'node:fs';
import path from 'node:path';

/**
 * One request at a time per cache key: identical requests in flight together (the first conversations of
 * a run planning with the same nested-judge prompt, two conversations sharing a turn) would otherwise all
 * miss the cache and all be paid for. Within a process a map of promises; across processes on one machine
 * (or a shared cache folder) a lock file holding the owner's pid, stale after `staleMs`.
 */
const inflight = new Map<string, Promise<unknown>>();

async function lockedByOther(file: string, staleMs: number): Promise<boolean> {
  try {
    const [text, st] = await Promise.all([fs.readFile(file, 'utf8'), fs.stat(file)]);
    let alive = true;
    try {
      process.kill(Number(text.trim()), 0);
    } catch {
      alive = false;
    }
    if (alive && Date.now() - st.mtimeMs < staleMs) return true;
    await fs.rm(file, { force: true });
    return false;
  } catch {
    return false;
  }
}

export async function singleFlight<T>(opts: {
  key: string;
  lockFile: string;
  staleMs: number;
  /** The answer if someone already produced it. */
  lookup: () => Promise<T | undefined>;
  produce: () => Promise<T>;
  onWait?: () => void;
}): Promise<T> {
  for (;;) {
    const hit = await opts.lookup();
    if (hit !== undefined) return hit;
    const running = inflight.get(opts.key);
    if (running) {
      await running.catch(() => undefined);
      // its answer may have been invalid (not shared): look again, then ask ourselves
      const again = await opts.lookup();
      if (again !== undefined) return again;
      if (inflight.get(opts.key) === running) inflight.delete(opts.key);
      continue;
    }
    const mine = (async (): Promise<{ value: T } | undefined> => {
      await fs.mkdir(path.dirname(opts.lockFile), { recursive: true });
      try {
        await fs.writeFile(opts.lockFile, String(process.pid), { flag: 'wx' });
      } catch {
        return undefined; // another process is asking
      }
      try {
        return { value: await opts.produce() };
      } finally {
        await fs.rm(opts.lockFile, { force: true });
      }
    })();
    inflight.set(opts.key, mine);
    let res: { value: T } | undefined;
    try {
      res = await mine;
    } finally {
      if (inflight.get(opts.key) === mine) inflight.delete(opts.key);
    }
    if (res) return res.value;
    while (await lockedByOther(opts.lockFile, opts.staleMs)) {
      opts.onWait?.();
      await new Promise((done) => setTimeout(done, 100));
    }
  }
}
