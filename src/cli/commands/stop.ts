import type { Command } from 'commander';
import { addSignalCommand } from '../signal-command';

/** `magnet stop <run-id>`. */
export function stopCommand(program: Command): void {
  addSignalCommand(
    program,
    'stop',
    'end the run early, gracefully: no new conversations, those running finish, then it exports what it has',
  );
}
