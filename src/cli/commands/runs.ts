import type { Command } from 'commander';
import { connect, listRuns } from '../../client';
import { examples } from '../help-text';

/** `magnet runs`: the runs on the server, newest first. */
export function runsCommand(program: Command): void {
  program
    .command('runs')
    .description('list runs, newest first: id, status, start time')
    .addHelpText('after', examples('magnet runs', 'TEMPORAL_PROFILE=cloud magnet runs'))
    .action(async () => {
      const { client } = await connect();
      for (const r of await listRuns(client))
        console.log(`${r.runId}\t${r.status}\t${r.start.toISOString()}`);
    });
}
