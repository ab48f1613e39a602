import type { Command } from 'commander';
import { addSignalCommand } from '../signal-command';

/** `magnet resume <run-id>`. */
export function resumeCommand(program: Command): void {
  addSignalCommand(program, 'resume', 'start conversations again after a pause');
}
