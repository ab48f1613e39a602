#!/usr/bin/env node
import { main } from './main';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    // One line for the user; the stack only when asked for.
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    if (process.env.MAGNET_DEBUG && err instanceof Error) console.error(err.stack);
    process.exit(1);
  },
);
