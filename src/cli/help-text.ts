import type { Command } from 'commander';

/** What every command's help shares: its examples block, and finding a command by name or alias. */

/** The "Examples:" block a command's help ends with. */
export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}`;
}

/** The subcommand of `parent` called `name` (or aliased so), if any. */
export function subcommand(parent: Command, name: string | undefined): Command | undefined {
  return parent.commands.find((c) => c.name() === name || (name !== undefined && c.aliases().includes(name)));
}
