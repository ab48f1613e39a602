import { Command, CommanderError } from 'commander';
import { ConfigError } from '../io/config-file';
import { packageVersion } from '../io/paths';
import { COMMANDS } from './commands';
import type { ExitCode } from './exit-code';
import { examples, subcommand } from './help-text';

const TEMPORAL_NOTE = `
Temporal: the server of TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE / TEMPORAL_API_KEY / TEMPORAL_TLS* or of a
TEMPORAL_PROFILE in temporal.toml when set, else the local dev server (127.0.0.1:7233, UI :8233; ports from
MAGNET_TEMPORAL_PORT / MAGNET_TEMPORAL_UI_PORT). Only run, demo, attach, rerun, worker, "graph --config" and
"server start" start the local server; the other commands need one running. Data lives in $MAGNET_HOME (default ./.magnet).`;

/**
 * The command tree, one file per command (src/cli/commands/). Actions set `exit.code`; every error is
 * thrown, so the bin prints it as one line.
 */
export function program(exit: ExitCode): Command {
  const magnet = new Command('magnet')
    .description('multi-turn function-calling data synthesis (MAGNET) on Temporal')
    .version(packageVersion(), '-V, --version', 'print the version')
    // options are positional: a subcommand's options are its own, even when its parent has one of that name
    .enablePositionalOptions()
    .exitOverride()
    // commander's own errors are rethrown as one-line ConfigErrors below, and printed once by the bin
    .configureOutput({ outputError: () => undefined })
    .helpCommand(false)
    .addHelpText(
      'after',
      examples(
        'magnet demo',
        'magnet run --config my-run.json --conversations 100',
        'magnet status travel-v1-20250101-120000',
        'magnet help retry',
      ) + `\n${TEMPORAL_NOTE}`,
    );
  for (const add of COMMANDS) add(magnet, exit);
  return magnet;
}

/** Runs one command line; resolves to the exit code, throws (for the bin to print in one line) on errors. */
export async function main(argv: string[]): Promise<number> {
  const exit: ExitCode = { code: 0 };
  const magnet = program(exit);
  if (argv.length === 0) {
    magnet.outputHelp();
    return 2;
  }
  try {
    await magnet.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    // help asked for: 0; help shown because a command was incomplete (e.g. "magnet server"): usage, 2
    if (e.exitCode === 0) return 0;
    if (e.code === 'commander.help') return 2;
    const command = subcommand(magnet, argv[0]);
    throw new ConfigError(
      `${e.message
        .replace(/^error: /, '')
        .split('\n')
        .join(' ')} (see magnet ${command ? `${argv[0]} --help` : 'help'})`,
    );
  }
  return exit.code;
}
