import {
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  type LogLevel,
  type WorkerOptions,
} from '@temporalio/worker';
import * as activities from './activities';

export const TASK_QUEUE = process.env.MAGNET_TASK_QUEUE ?? 'magnet';

export interface WorkerConfig {
  address: string;
  namespace?: string;
  taskQueue?: string;
  /** Extra options (concurrency, a prebuilt bundle for tests) passed through to Temporal. */
  options?: Partial<WorkerOptions>;
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
  const connection = await NativeConnection.connect({ address: config.address });
  const worker = await Worker.create({
    connection,
    namespace: config.namespace ?? process.env.TEMPORAL_NAMESPACE ?? 'default',
    taskQueue: config.taskQueue ?? TASK_QUEUE,
    activities,
    ...(config.options?.workflowBundle ? {} : { workflowsPath: require.resolve('./workflows') }),
    maxConcurrentActivityTaskExecutions: 32,
    ...config.options,
  });
  return { worker, connection };
}

async function main(): Promise<void> {
  const address = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
  const { worker } = await createWorker({ address });
  console.log(`magnet worker on ${address}, task queue ${TASK_QUEUE}`);
  await worker.run();
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
