import type { Command } from 'commander';
import { addSignalCommand } from '../signal-command';

/** `magnet pause <run-id>`. */
export function pauseCommand(program: Command): void {
  addSignalCommand(program, 'pause', 'stop starting conversations (those in flight finish)');
}
