import type { Command } from 'commander';
import { addSignalCommand } from '../signal-command';

/** `magnet cancel <run-id>`. */
export function cancelCommand(program: Command): void {
  addSignalCommand(program, 'cancel', 'cancel the run and its conversations at once (nothing is exported)');
}
