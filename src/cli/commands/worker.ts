import { Option, type Command } from 'commander';
import { connect, runInputOf } from '../../client';
import { RunConfig } from '../../core/config';
import { ConfigError, loadConfig } from '../../io/config-file';
import { checkKeys } from '../../llm/preflight';
import { sharedTaskQueue } from '../../server/task-queue';
import { closeAll } from '../../tools/mcp/sessions';
import { createWorkers } from '../../worker';
import { examples } from '../help-text';

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
    .addHelpText(
      'after',
      examples(
        'magnet worker --run travel-v1',
        'TEMPORAL_ADDRESS=temporal.internal:7233 magnet worker --task-queue team-gpu --config my-run.json',
      ) +
        `\n\nEach run has its own task queues (magnet-<run id>, magnet-<run id>-llm-<provider>) unless it was started
with --task-queue: a worker serves exactly one run's queues or one shared queue, never another run's steps.`,
    )
    .action(async (o: { config?: string; run?: string; taskQueue?: string }) => {
      const shared = sharedTaskQueue(o.taskQueue);
      // a worker without its keys would fail every LLM step it takes: checked before connecting
      let config = o.config
        ? (await loadConfig(o.config)).config
        : RunConfig.parse({ pool: '.', conversations: 1 });
      checkKeys(config);
      if (!o.run && !shared)
        throw new ConfigError(
          'magnet worker: name the run to work on (--run ID) or a shared queue (--task-queue Q or MAGNET_TASK_QUEUE)',
        );
      const { client, server } = await connect({ startLocal: true });
      let taskQueue = shared;
      if (o.run) {
        const input = await runInputOf(client, o.run);
        config = input.config;
        taskQueue = input.taskQueue;
        checkKeys(config);
      }
      await client.connection.close();
      const workers = await createWorkers({ address: server.address, config, taskQueue });
      console.log(`magnet worker on ${server.address}: ${workers.map((w) => w.taskQueue).join(', ')}`);
      await Promise.all(workers.map((w) => w.worker.run()));
      // stopped (SIGINT/SIGTERM): the MCP servers this worker started stop, their scope folders go
      await closeAll();
    });
}
