import type { Command } from 'commander';
import { connect, listRuns, runStatus } from '../../client';
import { ConfigError } from '../../io/config-file';
import { examples } from '../help-text';
import { printStatus } from '../report';

/** `magnet status <run-id>`: a run's progress, waiting conversations, failures and costs. */
export function statusCommand(program: Command): void {
  program
    .command('status')
    .description(
      'progress of a run: counts, waiting conversations and why, failures, tokens, cost, rate, ETA',
    )
    .argument('[run-id]', 'the run (default: the latest)')
    .option('--json', 'print the numbers as JSON')
    .addHelpText(
      'after',
      examples('magnet status', 'magnet status travel-v1', 'magnet status travel-v1 --json') +
        `\n\nA run no worker answers for shows what Temporal stores (its conversations' states, the ledger).`,
    )
    .action(async (given: string | undefined, o: { json?: boolean }) => {
      const { client } = await connect();
      const runId = given ?? (await listRuns(client))[0]?.runId;
      if (!runId) throw new ConfigError('magnet status: no run on this server yet');
      const status = await runStatus(client, runId);
      if (o.json) console.log(JSON.stringify(status, null, 2));
      else printStatus(runId, status);
    });
}
