import type { Command } from 'commander';
import { examples } from '../help-text';
import { writeHtmlReport } from '../html-report';

/** `magnet report <run>`: the run's report as one self-contained HTML file. */
export function reportCommand(program: Command): void {
  program
    .command('report')
    .description(
      "write a run's report as one self-contained HTML file (charts, estimate vs actual, sample conversations)",
    )
    .argument('<run>', 'run id (under $MAGNET_HOME/runs) or run folder')
    .option('--out <file>', 'HTML file to write (default: <run folder>/report.html)')
    .addHelpText(
      'after',
      examples('magnet report travel-v1', 'magnet report .magnet/runs/travel-v1 --out /tmp/travel-v1.html') +
        `\n\nWorks offline (no script or style is fetched). Links to the Temporal UI use the local dev server's UI
address, or MAGNET_TEMPORAL_UI_URL when set.`,
    )
    .action(async (run: string, o: { out?: string }) => {
      const file = await writeHtmlReport(run, { out: o.out });
      console.log(`report: ${file}`);
    });
}
