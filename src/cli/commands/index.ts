import type { Command } from 'commander';
import type { ExitCode } from '../exit-code';
import { attachCommand } from './attach';
import { cancelCommand } from './cancel';
import { demoCommand } from './demo';
import { estimateCommand } from './estimate';
import { exportCommand } from './export';
import { graphCommand } from './graph';
import { helpCommand } from './help';
import { pathsCommand } from './paths';
import { pauseCommand } from './pause';
import { poolCommand } from './pool';
import { reportCommand } from './report';
import { rerunCommand } from './rerun';
import { resumeCommand } from './resume';
import { retryCommand } from './retry';
import { runCommand } from './run';
import { runsCommand } from './runs';
import { serverCommand } from './server';
import { statusCommand } from './status';
import { stopCommand } from './stop';
import { validateCommand } from './validate';
import { workerCommand } from './worker';

/** Registers one command (with its subcommands) on the program; actions that decide the exit code set it. */
export type CommandRegistrar = (program: Command, exit: ExitCode) => void;

/** magnet's commands, one file each, in the order `magnet help` lists them. */
export const COMMANDS: readonly CommandRegistrar[] = [
  runCommand,
  estimateCommand,
  reportCommand,
  demoCommand,
  statusCommand,
  attachCommand,
  retryCommand,
  rerunCommand,
  pauseCommand,
  resumeCommand,
  stopCommand,
  cancelCommand,
  runsCommand,
  exportCommand,
  validateCommand,
  graphCommand,
  poolCommand,
  pathsCommand,
  workerCommand,
  serverCommand,
  helpCommand,
];
