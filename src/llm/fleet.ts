import type { NativeConnection } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';

/**
 * How many worker processes serve a provider's task queue, so that each takes its share of the provider's
 * configured rate (limiter.ts). Temporal's DescribeTaskQueue (activity type) lists the queue's pollers with
 * their identity (`<pid>@<host>` by default: one per process) and the time of their last poll.
 *
 * A poll is a long poll: an idle live worker may not poll again for up to a minute, so a poller counts as live
 * for LIVE_MS after its last poll. A worker that dies is therefore still counted for about a minute, during
 * which the others keep to the smaller share (the quota is under-used for that minute, never exceeded). The
 * count is refreshed in the background at most every REFRESH_MS and read from the cache by every request.
 */

export const LIVE_MS = 70_000;
export const REFRESH_MS = 5_000;

export interface Poller {
  identity: string;
  /** ms since the epoch; undefined when the server did not say. */
  lastAccess: number | undefined;
}

/** Distinct identities that polled within LIVE_MS of `now`; at least 1 (this process serves the queue). */
export function livePollers(pollers: readonly Poller[], now: number, liveMs = LIVE_MS): number {
  const live = new Set(
    pollers.filter((p) => p.lastAccess === undefined || now - p.lastAccess <= liveMs).map((p) => p.identity),
  );
  return Math.max(1, live.size);
}

/** A count that refreshes itself with `describe` when older than `refreshMs`; never awaited by a request. */
export function fleetCounter(
  describe: () => Promise<Poller[]>,
  refreshMs = REFRESH_MS,
): { size: (now: number) => number; refresh: () => Promise<void> } {
  let count = 1;
  let fetchedAt = Number.NEGATIVE_INFINITY;
  let pending: Promise<void> | undefined;
  const refresh = (): Promise<void> => {
    pending ??= describe()
      .then((pollers) => {
        count = livePollers(pollers, Date.now());
      })
      .catch(() => {
        // the server is unreachable or the connection closed: keep the last count
      })
      .finally(() => {
        fetchedAt = Date.now();
        pending = undefined;
      });
    return pending;
  };
  return {
    size: (now) => {
      if (now - fetchedAt >= refreshMs) void refresh();
      return count;
    },
    refresh,
  };
}

function millis(t: { seconds?: unknown; nanos?: number | null } | null | undefined): number | undefined {
  if (!t || t.seconds === undefined || t.seconds === null) return undefined;
  return Number(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
}

/** The activity pollers of `taskQueue`, through a worker's connection. */
export function describePollers(
  connection: NativeConnection,
  namespace: string,
  taskQueue: string,
): () => Promise<Poller[]> {
  return async () => {
    const res = await connection.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
    });
    return (res.pollers ?? []).map((p) => ({
      identity: p.identity ?? '',
      lastAccess: millis(p.lastAccessTime),
    }));
  };
}
