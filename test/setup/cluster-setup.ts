import { existsSync } from 'node:fs';
import path from 'node:path';
import { clusterEnv } from '../helpers/cluster';

/**
 * The `cluster` project runs against the self-hosted cluster `temporal/cluster/local.sh` starts (PostgreSQL and
 * a Temporal server built from source), not a dev server: `npm run test:cluster` brings it up, runs the
 * project and takes it down. Its address reaches the test files through TEMPORAL_ADDRESS.
 */
export default async function clusterSetup(): Promise<void> {
  const dir = process.env.MAGNET_CLUSTER_DIR;
  if (!dir || !existsSync(path.join(dir, 'env')))
    throw new Error(
      'the cluster tests need the cluster of temporal/cluster/local.sh: run them with `npm run test:cluster` (or `eval "$(bash temporal/cluster/local.sh up)"` first)',
    );
  process.env.TEMPORAL_ADDRESS = clusterEnv(dir).TEMPORAL_ADDRESS;
}
