import path from 'node:path';
import type { Command } from 'commander';
import type { ExitCode } from '../exit-code';
import { examples } from '../help-text';
import { exitCodeOf, printSummary } from '../report';
import { attachRun, writeRunReport } from '../run';

/** `magnet attach <run-id>`: follow a run started earlier and work on it until it ends. */
export function attachCommand(program: Command, exit: ExitCode): void {
  program
    .command('attach')
    .description('follow a run started earlier (e.g. with --detach) and work on it until it ends')
    .argument('<run-id>')
    .option('--no-worker', 'only show progress, do not run a worker in this process')
    .addHelpText('after', examples('magnet attach travel-v1', 'magnet attach travel-v1 --no-worker'))
    .action(async (runId: string, o: { worker: boolean }) => {
      const summary = await attachRun(runId, { worker: o.worker });
      printSummary(summary);
      await writeRunReport(path.dirname(summary.files.report));
      exit.code = exitCodeOf(summary);
    });
}
