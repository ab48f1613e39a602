import { Option, type Command } from 'commander';
import { connect, retryWaiting } from '../../client';
import type { ExitCode } from '../exit-code';
import { examples } from '../help-text';
import { positiveInt, setOption, typedOption } from '../options';
import { printRetry, printSummary } from '../report';
import { attachRun } from '../run';

interface RetryOptions {
  conversation?: string;
  turn?: number;
  set?: Record<string, string>;
  watch?: boolean;
}

/** `magnet retry <run-id> --failed`: run the failed step of waiting conversations again. */
export function retryCommand(program: Command, exit: ExitCode): void {
  program
    .command('retry')
    .description(
      'run the failed step of waiting conversations again (and what follows), keeping every finished turn',
    )
    .argument('<run-id>')
    .addOption(
      new Option('--failed', 'retry failed steps (required: says what is retried)').makeOptionMandatory(),
    )
    .option('--conversation <id>', 'only this conversation (conv-00042 or the full workflow id)')
    .addOption(
      typedOption('--turn <n>', 'only conversations whose failed step is in turn n (1-based)', positiveInt),
    )
    .addOption(setOption())
    .option('--watch', 'then follow the run (with a worker in this process) until it ends')
    .addHelpText(
      'after',
      examples(
        'magnet retry travel-v1 --failed',
        'magnet retry travel-v1 --failed --conversation conv-00042 --turn 3 --set forth_translate.model=gpt-4o',
        'magnet retry travel-v1 --failed --set teacher.temperature=0.2 --watch',
      ) +
        `\n\nEach conversation answers whether it runs the step again or why not (not waiting, bad override).`,
    )
    .action(async (runId: string, o: RetryOptions) => {
      const { client } = await connect();
      const outcomes = await retryWaiting(client, runId, {
        conversation: o.conversation,
        turn: o.turn,
        set: o.set ?? {},
      });
      if (outcomes.length === 0)
        console.log(
          `nothing to retry: no conversation of ${runId} is waiting for a retry${o.conversation || o.turn ? ' (that matches the filter)' : ''}`,
        );
      const retrying = printRetry(outcomes);
      // nothing waiting is no error (as for rerun); conversations that refused the retry are
      exit.code = outcomes.length === 0 || retrying > 0 ? 0 : 1;
      if (retrying > 0 && o.watch) printSummary(await attachRun(runId, { worker: true }));
    });
}
