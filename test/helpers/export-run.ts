import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { indexPool, type FunctionDef } from '../../src/core/pool';
import { syntheticRecord } from '../../src/export/synthetic';
import { loadPool } from '../../src/tools/pool-loader';

const EXAMPLE_POOL = path.join(__dirname, '..', '..', 'examples', 'pool');

/** A run folder of `n` synthetic records over the example pool (or the pool of `poolPaths`). */
export async function syntheticRun(
  n: number,
  poolPaths: readonly string[] = [EXAMPLE_POOL],
): Promise<{ dir: string; pool: Map<string, FunctionDef> }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'magnet-export-'));
  const pool = await loadPool(poolPaths);
  mkdirSync(path.join(dir, 'conversations'));
  for (let i = 0; i < n; i++) {
    const rec = syntheticRecord(pool.functions, i, 'syn');
    writeFileSync(
      path.join(dir, 'conversations', `conv-${String(i).padStart(5, '0')}.json`),
      JSON.stringify(rec),
    );
  }
  writeFileSync(path.join(dir, 'pool.json'), JSON.stringify(pool));
  return { dir, pool: indexPool(pool) };
}
