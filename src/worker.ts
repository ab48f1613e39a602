import {
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  type LogLevel,
  type WorkerOptions,
} from '@temporalio/worker';
import * as activities from './activities';
import type { RunConfig } from './core/config';
import { describePollers, fleetCounter } from './llm/fleet';
import { configureProvider } from './llm/limiter';
import { usedProviders } from './llm/preflight';
import { describeConnection, loadConnectionSettings, temporalConnection } from './server/connection';
import { TASK_QUEUE } from './server/task-queue';
import { withServer, type WaitOptions } from './server/wait';
import { sweepScopeFolders } from './tools/mcp/connect';

export interface WorkerConfig {
  address: string;
  namespace?: string;
  taskQueue?: string;
  /** Extra options (concurrency, a prebuilt bundle for tests) passed through to Temporal. */
  options?: Partial<WorkerOptions>;
  /** A worker for an LLM queue hosts activities only. */
  activitiesOnly?: boolean;
  /** While the server cannot be reached: keep trying (default: until the process is stopped). */
  wait?: WaitOptions;
}

let runtimeInstalled = false;
let swept = false;

/** Worker logs at WARN unless MAGNET_LOG_LEVEL says otherwise: the progress bar is the normal output. */
export function installRuntime(level = (process.env.MAGNET_LOG_LEVEL ?? 'WARN') as LogLevel): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger(level) });
  } catch {
    // a runtime already exists (something connected first); keep its logger
  }
}

/** Creates a worker hosting every magnet workflow and activity. */
export async function createWorker(
  config: WorkerConfig,
): Promise<{ worker: Worker; connection: NativeConnection }> {
  installRuntime();
  // MCP scope folders of workers that were killed (SIGKILL leaves them behind): once per process
  if (!swept) {
    swept = true;
    sweepScopeFolders();
  }
  // address from the caller; namespace, TLS, API key, headers from Temporal's standard env config
  const { namespace, ...connectOptions } = temporalConnection(config.address);
  const connection = await withServer(
    connectOptions.address,
    () => NativeConnection.connect(connectOptions),
    config.wait,
  );
  const worker = await Worker.create({
    connection,
    namespace: config.namespace ?? namespace,
    taskQueue: config.taskQueue ?? TASK_QUEUE,
    activities,
    maxConcurrentActivityTaskExecutions: 32,
    ...config.options,
    ...(config.activitiesOnly
      ? { workflowsPath: undefined, workflowBundle: undefined }
      : config.options?.workflowBundle
        ? {}
        : { workflowsPath: require.resolve('./workflows') }),
  });
  return { worker, connection };
}

/** Seconds of requests at a provider's full rate the LLM queue's worker slots hold (covers slow answers). */
export const LLM_SLOT_SECONDS = 10;

/**
 * The workers one process runs for a config: the main queue (workflows, local activities) and one queue per
 * LLM provider, whose requests this process paces at its share of the provider's limits.
 */
export async function createWorkers(opts: {
  address: string;
  config: RunConfig;
  taskQueue?: string;
  options?: Partial<WorkerOptions>;
  wait?: WaitOptions;
}): Promise<{ worker: Worker; connection: NativeConnection; taskQueue: string }[]> {
  const base = opts.taskQueue ?? TASK_QUEUE;
  const tuning: Partial<WorkerOptions> = {
    maxConcurrentActivityTaskExecutions: opts.config.workers.activities,
    maxConcurrentWorkflowTaskExecutions: opts.config.workers.workflowTasks,
  };
  const main = await createWorker({
    address: opts.address,
    taskQueue: base,
    options: { ...tuning, ...opts.options },
    wait: opts.wait,
  });
  const out = [{ ...main, taskQueue: base }];
  for (const name of usedProviders(opts.config)) {
    const p = opts.config.llm.providers[name];
    const taskQueue = `${base}-llm-${name}`;
    // No maxTaskQueueActivitiesPerSecond: it counts activities, not requests (a cache hit or a built-in tool
    // sends none, a repair or the student's samples several), so it both wasted the quota and let bursts
    // through. The pacer in the process that sends (llm/limiter.ts) holds the rate; steps wait for their slot
    // while holding a worker slot, so the LLM queue gets slots for LLM_SLOT_SECONDS of requests at the full
    // configured rate (this process may be the only worker) and for every conversation in flight.
    const slots = Math.max(
      opts.config.workers.activities,
      Math.ceil((p?.requestsPerSecond ?? 0) * LLM_SLOT_SECONDS),
      opts.config.concurrency.conversations,
    );
    const w = await createWorker({
      address: opts.address,
      taskQueue,
      options: {
        ...tuning,
        maxConcurrentActivityTaskExecutions: slots,
        ...opts.options,
        workflowBundle: undefined,
        workflowsPath: undefined,
      },
      activitiesOnly: true,
      wait: opts.wait,
    });
    // the configured limits hold for all workers: this process's share follows the live workers of the queue
    const fleet = fleetCounter(describePollers(w.connection, w.worker.options.namespace, taskQueue));
    configureProvider(name, {
      requestsPerSecond: p?.requestsPerSecond,
      tokensPerMinute: p?.tokensPerMinute,
      workers: fleet.size,
    });
    out.push({ ...w, taskQueue });
  }
  return out;
}

async function main(): Promise<void> {
  const address = loadConnectionSettings().address ?? '127.0.0.1:7233';
  const { worker } = await createWorker({ address });
  console.log(
    `magnet worker on ${describeConnection(temporalConnection(address))}, task queue ${TASK_QUEUE}`,
  );
  await worker.run();
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
