import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../io/config-file';
import { writeAtomic } from '../io/files';
import { dataDir } from '../io/paths';
import { homeLayout, runDirCandidates, runLayout } from '../io/run-layout';
import { readReportData } from '../report/data';
import { renderReport } from '../report/html';

/** The run folder of a run id (under $MAGNET_HOME/runs) or of a path to one. */
async function runFolder(run: string): Promise<string> {
  for (const dir of runDirCandidates(homeLayout(dataDir()), run)) {
    const hasRecords = await fs.stat(runLayout(dir).conversations).catch(() => undefined);
    const hasReport = await fs.stat(runLayout(dir).report).catch(() => undefined);
    if (hasRecords?.isDirectory() || hasReport?.isFile()) return dir;
  }
  throw new ConfigError(
    `${run}: no run folder (neither a folder with conversations/ nor a run id under ${homeLayout(dataDir()).runs})`,
  );
}

/**
 * Writes the run's HTML report (`magnet report <run>`, and at the end of `magnet run`); returns its path.
 * MAGNET_TEMPORAL_UI_URL gives the Temporal UI's address when the run folder does not record it.
 */
export async function writeHtmlReport(run: string, opts: { out?: string } = {}): Promise<string> {
  const dir = await runFolder(run);
  const data = await readReportData(dir);
  const links = {
    ui: process.env.MAGNET_TEMPORAL_UI_URL ?? data.info?.ui,
    namespace: data.info?.namespace ?? process.env.TEMPORAL_NAMESPACE ?? 'default',
  };
  const file = path.resolve(opts.out ?? runLayout(dir).reportHtml);
  await writeAtomic(file, renderReport(data, links));
  return file;
}
