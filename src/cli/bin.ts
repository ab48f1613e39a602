#!/usr/bin/env node
import { main } from './main';
import { Interrupted } from './run';

// `magnet ... | head` closes the pipe early: the reader has what it wanted, so the CLI ends quietly
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    // stopped by a signal: what became of the run, not an error
    if (err instanceof Interrupted) {
      console.error(err.message);
      process.exit(err.exitCode);
    }
    // One line for the user; the stack only when asked for.
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    if (process.env.MAGNET_DEBUG && err instanceof Error) console.error(err.stack);
    process.exit(1);
  },
);
