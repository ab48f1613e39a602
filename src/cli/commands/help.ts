import type { Command } from 'commander';
import { ConfigError } from '../../io/config-file';
import { examples, subcommand } from '../help-text';

/** `magnet help [command...]`: the help of magnet or of one of its commands. */
export function helpCommand(program: Command): void {
  program
    .command('help')
    .description('show help for magnet or one of its commands')
    .argument('[command...]', 'e.g. "retry" or "server start"')
    .addHelpText('after', examples('magnet help', 'magnet help retry', 'magnet help server start'))
    .action((names: string[]) => {
      let cmd = program;
      for (const name of names) {
        const sub = subcommand(cmd, name);
        if (!sub) throw new ConfigError(`unknown command "${names.join(' ')}" (see magnet help)`);
        cmd = sub;
      }
      cmd.outputHelp();
    });
}
