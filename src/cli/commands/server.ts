import type { Command } from 'commander';
import { localServerStatus, startLocalServer, stopLocalServer } from '../../server/dev-server';
import type { ExitCode } from '../exit-code';
import { examples } from '../help-text';

/** `magnet server start|stop|status`: the local Temporal dev server. */
export function serverCommand(program: Command, exit: ExitCode): void {
  const server = program
    .command('server')
    .description('the local Temporal dev server (database in $MAGNET_HOME/temporal)')
    .helpCommand(false)
    .addHelpText('after', examples('magnet server start', 'magnet server status', 'magnet server stop'));
  server
    .command('start')
    .description('start the local dev server in the background (returns at once if it runs)')
    .addHelpText('after', examples('magnet server start', 'MAGNET_TEMPORAL_PORT=7300 magnet server start'))
    .action(async () => {
      const s = await startLocalServer();
      console.log(`Temporal dev server running: ${s.address} (pid ${s.pid}), UI ${s.uiUrl}, db ${s.dbFile}`);
    });
  server
    .command('stop')
    .description('stop the local dev server (its database stays)')
    .addHelpText('after', examples('magnet server stop'))
    .action(async () => {
      console.log((await stopLocalServer()) ? 'stopped' : 'not running');
    });
  server
    .command('status')
    .description('whether the local dev server runs (exit 0) or not (exit 1), and where')
    .addHelpText('after', examples('magnet server status'))
    .action(async () => {
      const s = await localServerStatus();
      console.log(
        s.running ? `running: ${s.address} (pid ${s.pid}), UI ${s.uiUrl}, db ${s.dbFile}` : 'not running',
      );
      exit.code = s.running ? 0 : 1;
    });
}
