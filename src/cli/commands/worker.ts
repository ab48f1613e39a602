import { Option, type Command } from 'commander';
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { connect, runEnded, runInputOf } from '../../client';
import { RunConfig } from '../../core/config';
import { ConfigError, loadConfig } from '../../io/config-file';
import { checkKeys } from '../../llm/preflight';
import { sharedTaskQueue } from '../../server/task-queue';
import { closeAll } from '../../tools/mcp/sessions';
import { preflightTools } from '../../tools/preflight';
import { resolvePoolEntries } from '../../tools/sources';
import { createWorkers } from '../../worker';
import { examples } from '../help-text';
import { nonNegativeInt, typedOption } from '../options';

/** `magnet worker`: an extra worker process for one run's task queues or for a shared queue. */
export function workerCommand(program: Command): void {
  program
    .command('worker')
    .description("an extra worker process for one run's task queues, or for a shared queue")
    .option('--run <id>', "work on this run (its own task queues and its config's LLM providers)")
    .addOption(
      new Option(
        '--task-queue <name>',
        'work on a shared task queue (runs started with --task-queue or MAGNET_TASK_QUEUE)',
      ).conflicts('run'),
    )
    .addOption(
      new Option('--config <file>', 'with --task-queue: serve the LLM providers of this config').conflicts(
        'run',
      ),
    )
    .option(
      '--no-preflight',
      "start without first checking that the pool's MCP servers start and OpenAPI services answer",
    )
    .addOption(
      typedOption(
        '--wait-for-server <seconds>',
        'while the Temporal server cannot be reached, keep trying this long (default: until stopped)',
        nonNegativeInt,
      ),
    )
    .addHelpText(
      'after',
      examples(
        'magnet worker --run travel-v1',
        'TEMPORAL_ADDRESS=temporal.internal:7233 magnet worker --task-queue team-gpu --config my-run.json',
      ) +
        `\n\nEach run has its own task queues (magnet-<run id>, magnet-<run id>-llm-<provider>) unless it was started
with --task-queue: a worker serves exactly one run's queues or one shared queue, never another run's steps.
Before it takes steps, the worker starts each MCP server of the pool once and reaches each OpenAPI service
(6 s; --no-preflight skips it): a tool this machine cannot run fails here in one line, not in every step.
A worker started while the Temporal server is down waits for it (one line on stderr, retries with backoff);
with --run it exits 0 once the run has ended.`,
    )
    .action(async (o: WorkerOptions) => {
      const shared = sharedTaskQueue(o.taskQueue);
      // a worker without its keys would fail every LLM step it takes: checked before connecting
      const loaded = o.config ? await loadConfig(o.config) : undefined;
      let config = loaded?.config ?? RunConfig.parse({ pool: '.', conversations: 1 });
      checkKeys(config);
      let sources =
        loaded && o.config ? resolvePoolEntries(config.pool, loaded.baseDir, o.config).poolSources : [];
      let where = `${o.config ?? ''} field pool`;
      if (!o.run && !shared)
        throw new ConfigError(
          'magnet worker: name the run to work on (--run ID) or a shared queue (--task-queue Q or MAGNET_TASK_QUEUE)',
        );
      const wait = { seconds: o.waitForServer };
      const { client, server } = await connect({ startLocal: true, wait });
      let taskQueue = shared;
      if (o.run) {
        const input = await runInputOf(client, o.run);
        config = input.config;
        taskQueue = input.taskQueue;
        checkKeys(config);
        sources = input.poolSources ?? [];
        where = `run ${o.run}: pool`;
      }
      // a tool this machine cannot run would fail every step that calls it: found before taking any
      if (o.preflight) await preflightTools(sources, where);
      const workers = await createWorkers({ address: server.address, config, taskQueue, wait });
      console.log(`magnet worker on ${server.address}: ${workers.map((w) => w.taskQueue).join(', ')}`);
      const running = Promise.all(workers.map((w) => w.worker.run()));
      // a worker for one run has nothing to do once the run has ended: it shuts down and exits 0
      const watch = o.run ? stopWhenEnded(client, o.run, workers, running) : undefined;
      try {
        await running;
      } finally {
        await watch;
        await client.connection.close();
        // stopped (SIGINT/SIGTERM, or the run ended): the MCP servers this worker started stop
        await closeAll();
      }
    });
}

interface WorkerOptions {
  config?: string;
  run?: string;
  taskQueue?: string;
  preflight: boolean;
  waitForServer?: number;
}

/** How often a `--run` worker asks whether its run has ended. */
const END_POLL_MS = 2000;

/**
 * Shuts the workers down once the run has ended (its workflow is no longer running), until `running` settles
 * for another reason (a signal). A server that does not answer meanwhile is asked again.
 */
async function stopWhenEnded(
  client: Client,
  runId: string,
  workers: { worker: Worker }[],
  running: Promise<unknown>,
): Promise<void> {
  let stopped = false;
  void running.finally(() => (stopped = true)).catch(() => undefined);
  while (!stopped) {
    await new Promise((r) => setTimeout(r, END_POLL_MS));
    if (stopped) return;
    const status = await runEnded(client, runId);
    if (!status) continue;
    console.log(`run ${runId} has ended (${status}): magnet worker stops`);
    for (const w of workers) if (w.worker.getState() === 'RUNNING') w.worker.shutdown();
    return;
  }
}
