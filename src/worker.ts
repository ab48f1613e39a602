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
import { usedProviders } from './llm/preflight';
import { describeConnection, loadConnectionSettings, temporalConnection } from './temporal/connection';
import { TASK_QUEUE } from './temporal/task-queue';

export interface WorkerConfig {
  address: string;
  namespace?: string;
  taskQueue?: string;
  /** Extra options (concurrency, a prebuilt bundle for tests) passed through to Temporal. */
  options?: Partial<WorkerOptions>;
  /** A worker for an LLM queue hosts activities only. */
  activitiesOnly?: boolean;
}

let runtimeInstalled = false;

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
  // address from the caller; namespace, TLS, API key, headers from Temporal's standard env config
  const { namespace, ...connectOptions } = temporalConnection(config.address);
  const connection = await NativeConnection.connect(connectOptions);
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

/**
 * The workers one process runs for a config: the main queue (workflows, local activities) and one queue per
 * LLM provider, rate-limited for all workers at once with the provider's requestsPerSecond.
 */
export async function createWorkers(opts: {
  address: string;
  config: RunConfig;
  taskQueue?: string;
  options?: Partial<WorkerOptions>;
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
  });
  const out = [{ ...main, taskQueue: base }];
  for (const name of usedProviders(opts.config)) {
    const p = opts.config.llm.providers[name];
    const taskQueue = `${base}-llm-${name}`;
    const w = await createWorker({
      address: opts.address,
      taskQueue,
      options: {
        ...tuning,
        ...opts.options,
        workflowBundle: undefined,
        workflowsPath: undefined,
        ...(p?.requestsPerSecond ? { maxTaskQueueActivitiesPerSecond: p.requestsPerSecond } : {}),
      },
      activitiesOnly: true,
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
