import { Option, type Command } from 'commander';
import { connect, runInputOf } from '../../client';
import { RunConfig } from '../../core/config';
import { ConfigError, loadConfig } from '../../io/config-file';
import { checkKeys } from '../../llm/preflight';
import { sharedTaskQueue } from '../../server/task-queue';
import { closeAll } from '../../tools/mcp/sessions';
import { preflightTools } from '../../tools/preflight';
import { resolvePoolEntries } from '../../tools/sources';
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
    .option(
      '--no-preflight',
      "start without first checking that the pool's MCP servers start and OpenAPI services answer",
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
(6 s; --no-preflight skips it): a tool this machine cannot run fails here in one line, not in every step.`,
    )
    .action(async (o: { config?: string; run?: string; taskQueue?: string; preflight: boolean }) => {
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
      const { client, server } = await connect({ startLocal: true });
      let taskQueue = shared;
      if (o.run) {
        const input = await runInputOf(client, o.run);
        config = input.config;
        taskQueue = input.taskQueue;
        checkKeys(config);
        sources = input.poolSources ?? [];
        where = `run ${o.run}: pool`;
      }
      await client.connection.close();
      // a tool this machine cannot run would fail every step that calls it: found before taking any
      if (o.preflight) await preflightTools(sources, where);
      const workers = await createWorkers({ address: server.address, config, taskQueue });
      console.log(`magnet worker on ${server.address}: ${workers.map((w) => w.taskQueue).join(', ')}`);
      await Promise.all(workers.map((w) => w.worker.run()));
      // stopped (SIGINT/SIGTERM): the MCP servers this worker started stop, their scope folders go
      await closeAll();
    });
}
