import path from 'node:path';
import type { Command } from 'commander';
import { packageRoot } from '../../io/paths';
import { preflight } from '../../llm/preflight';
import { localServerStatus } from '../../server/dev-server';
import type { ExitCode } from '../exit-code';
import { examples } from '../help-text';
import { exitCodeOf, printSummary } from '../report';
import { launchRun, prepareRun, stamp, writeRunReport } from '../run';

/** `magnet demo`: the offline demo run on the example pool, with the local dev server. */
export function demoCommand(program: Command, exit: ExitCode): void {
  program
    .command('demo')
    .description(
      "~20-item offline demo (the paper's mix of kinds) on the example pool (local dev server, worker in-process)",
    )
    .addHelpText('after', examples('magnet demo', 'MAGNET_HOME=/tmp/magnet magnet demo'))
    .action(async () => {
      const config = path.join(packageRoot(), 'examples', 'demo.config.json');
      // the run ids of every command have one format: <name>-yyyymmdd-hhmmss
      const input = await prepareRun(config, { runId: `demo-${stamp(new Date())}`, preflight: true });
      await preflight(input.config);
      const summary = await launchRun(input);
      printSummary(summary);
      if (summary) await writeRunReport(input.outDir);
      const server = await localServerStatus();
      if (!process.env.TEMPORAL_ADDRESS && server.running)
        console.log(
          `Temporal UI: ${server.uiUrl} (server keeps running; stop it with: node bin/magnet.js server stop)`,
        );
      exit.code = exitCodeOf(summary);
    });
}
