import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { indexPool } from '../src/core/pool';
import { EXPORT_FORMATS } from '../src/export/formats';
import { exportRecords } from '../src/export/run';
import { syntheticRecord } from '../src/export/synthetic';
import { packageRoot } from '../src/io/paths';
import { loadPool } from '../src/tools/pool-loader';

/** Peak RSS target of the export (the issue's): 100,000 records must export in bounded memory. */
const RSS_TARGET_MIB = 512;

/**
 * Export bench: MAGNET_BENCH_EXPORT_RECORDS (default 100,000) synthetic records written as a run folder,
 * then exported in every format in one pass. Prints rows/s and the process's peak RSS.
 */
export async function benchExport(): Promise<{
  records: number;
  seconds: number;
  rowsPerSecond: number;
  peakRssMiB: number;
}> {
  const n = Number(process.env.MAGNET_BENCH_EXPORT_RECORDS ?? 100_000);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'magnet-bench-export-'));
  try {
    const pool = await loadPool([path.join(packageRoot(), 'examples', 'pool')]);
    const conversations = path.join(dir, 'conversations');
    await mkdir(conversations);
    for (let i = 0; i < n; i++) {
      const file = path.join(conversations, `conv-${String(i).padStart(5, '0')}.json`);
      await writeFile(file, JSON.stringify(syntheticRecord(pool.functions, i, 'bench')));
    }
    const start = process.hrtime.bigint();
    const result = await exportRecords({
      runId: 'bench',
      conversations,
      pool: indexPool(pool),
      formats: EXPORT_FORMATS,
      outDir: path.join(dir, 'export'),
      split: 0.95,
      seed: 1,
      license: 'unknown',
    });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const rows = result.files.reduce((k, f) => k + f.rows, 0);
    const peakRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
    const rowsPerSecond = Math.round(rows / seconds);
    console.log(
      `export: ${n} records, ${EXPORT_FORMATS.length} formats, ${rows} rows in ${seconds.toFixed(1)} s ` +
        `(${Math.round(n / seconds)} records/s, ${rowsPerSecond} rows/s), peak RSS ${peakRssMiB} MiB ` +
        `(target < ${RSS_TARGET_MIB} MiB: ${peakRssMiB < RSS_TARGET_MIB ? 'ok' : 'OVER'})`,
    );
    return { records: n, seconds, rowsPerSecond, peakRssMiB };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
