import type { Command } from 'commander';
import { connect, signalRun } from '../client';
import { examples } from './help-text';

/** `magnet pause|resume|stop|cancel <run-id>`: one signal (or the cancellation) sent to a running run. */
export function addSignalCommand(
  program: Command,
  what: 'pause' | 'resume' | 'stop' | 'cancel',
  description: string,
): void {
  program
    .command(what)
    .description(description)
    .argument('<run-id>')
    .addHelpText('after', examples(`magnet ${what} travel-v1`))
    .action(async (runId: string) => {
      const { client } = await connect();
      await signalRun(client, runId, what);
      console.log(`${what}: sent to ${runId}`);
    });
}
