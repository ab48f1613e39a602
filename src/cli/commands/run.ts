import { Option, type Command } from 'commander';
import { estimateRun } from '../../estimate/estimate';
import { preflight } from '../../llm/preflight';
import { formatEstimate } from '../estimate';
import type { ExitCode } from '../exit-code';
import { examples } from '../help-text';
import { positiveInt, typedOption } from '../options';
import { exitCodeOf, printSummary } from '../report';
import { launchRun, prepareRun, writeRunReport } from '../run';

interface RunOptions {
  config: string;
  runId?: string;
  conversations?: number;
  detach?: boolean;
  worker: boolean;
  cache: boolean;
  preflight: boolean;
  taskQueue?: string;
  dryRun?: boolean;
}

/** `magnet run --config C`: start a synthesis run and work on it until it ends (or only estimate it). */
export function runCommand(program: Command, exit: ExitCode): void {
  program
    .command('run')
    .description('start a synthesis run from a config file and work on it until it ends')
    .addOption(new Option('--config <file>', 'run config (JSON; paths relative to it)').makeOptionMandatory())
    .option('--run-id <id>', 'workflow id of the run (default: <name>-<timestamp>)')
    .addOption(
      typedOption('--conversations <n>', "number of conversations (overrides the config's)", positiveInt),
    )
    .option('--detach', 'start the run and return (follow it with "magnet attach")')
    .option('--no-worker', 'do not run a worker in this process (other workers do the work)')
    .option(
      '--task-queue <name>',
      "a shared task queue (default: the run's own, magnet-<run id>; also MAGNET_TASK_QUEUE)",
    )
    .option('--no-cache', 'ask the LLMs afresh instead of reusing cached answers')
    .option(
      '--no-preflight',
      "start without first checking that each provider's key variable is set and its endpoint answers, each MCP server starts and each OpenAPI service answers",
    )
    .option('--dry-run', 'print the estimate (as magnet estimate) and start nothing')
    .addHelpText(
      'after',
      examples(
        'magnet run --config my-run.json',
        'magnet run --config my-run.json --dry-run',
        'magnet run --config my-run.json --run-id travel-v2 --conversations 2000 --detach',
        'magnet run --config my-run.json --no-preflight',
      ) +
        `\n\nBefore the run starts, every provider the roles use is checked (preflight): its key variable is set
and one models-list request within 3 s is answered without 401/403; every MCP server of the pool starts and
lists its tools, and every OpenAPI service's base URL gives an HTTP answer, within 6 s. A failure is one line
and exit 1, and no run is started.`,
    )
    .action(async (o: RunOptions) => {
      const input = await prepareRun(o.config, {
        runId: o.runId,
        conversations: o.conversations,
        noCache: !o.cache,
        taskQueue: o.taskQueue,
        preflight: o.preflight && !o.dryRun,
      });
      if (o.dryRun) {
        console.log(formatEstimate(await estimateRun(input)));
        return;
      }
      if (o.preflight) await preflight(input.config);
      const summary = await launchRun(input, { detach: o.detach, worker: o.worker });
      printSummary(summary);
      if (summary) await writeRunReport(input.outDir);
      exit.code = exitCodeOf(summary);
    });
}
