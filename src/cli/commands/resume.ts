import type { Command } from 'commander';
import { connect, resumeRun } from '../../client';
import type { ExitCode } from '../exit-code';
import { examples } from '../help-text';
import { setOption } from '../options';
import { printRetry, printSummary } from '../report';
import { attachRun } from '../run';

interface ResumeOptions {
  set?: Record<string, string>;
  watch?: boolean;
}

/**
 * `magnet resume <run-id> [--set role.field=V]...`: start conversations again after a pause. A run that paused
 * itself (a role's answers kept failing validation) or a resume with `--set` also runs every waiting step
 * again, with the overrides, as `magnet retry --failed --set` would.
 */
export function resumeCommand(program: Command, exit: ExitCode): void {
  program
    .command('resume')
    .description(
      'start conversations again after a pause; with --set, with other models from now on (waiting steps too)',
    )
    .argument('<run-id>')
    .addOption(setOption('for the conversations started from now on, those running and the waiting steps'))
    .option('--watch', 'then follow the run (with a worker in this process) until it ends')
    .addHelpText(
      'after',
      examples(
        'magnet resume travel-v1',
        'magnet resume travel-v1 --set teacher.model=gpt-4o',
        'magnet resume travel-v1 --set *.model=gpt-4o-mini --watch',
      ) +
        `\n\nA run pauses itself when a role's answers keep failing validation after their repair (20 in a row, or more
than half of its first 50): \`magnet status\` names the role, the model and the commonest problem. Resuming it
runs the steps that wait again; --set gives the role another model (role * is every role on a provider).`,
    )
    .action(async (runId: string, o: ResumeOptions) => {
      const { client } = await connect();
      const set = o.set ?? {};
      const resumed = await resumeRun(client, runId, set);
      const overrides = Object.entries(set).map(([k, v]) => `${k}=${v}`);
      console.log(
        `resume: sent to ${runId}${overrides.length ? ` with ${overrides.join(', ')}` : ''}` +
          (resumed.pause ? ` (it had paused: ${resumed.pause.reason})` : ''),
      );
      const rejected = resumed.retried.length - printRetry(resumed.retried);
      exit.code = rejected > 0 && rejected === resumed.retried.length ? 1 : 0;
      if (o.watch) printSummary(await attachRun(runId, { worker: true }));
    });
}
