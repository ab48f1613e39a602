import type { Command } from 'commander';
import { connect, runStatus } from '../../client';
import { examples } from '../help-text';
import { printStatus } from '../report';

/** `magnet status <run-id>`: a run's progress, waiting conversations, failures and costs. */
export function statusCommand(program: Command): void {
  program
    .command('status')
    .description(
      'progress of a run: counts, waiting conversations and why, failures, tokens, cost, rate, ETA',
    )
    .argument('<run-id>')
    .option('--json', 'print the numbers as JSON')
    .addHelpText('after', examples('magnet status travel-v1', 'magnet status travel-v1 --json'))
    .action(async (runId: string, o: { json?: boolean }) => {
      const { client } = await connect();
      const status = await runStatus(client, runId);
      if (o.json) console.log(JSON.stringify(status, null, 2));
      else printStatus(runId, status);
    });
}
