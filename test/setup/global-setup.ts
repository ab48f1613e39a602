import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, spawnDevServer, temporalBinary, waitForPort } from '../../src/server/dev-server';

/**
 * Starts one real Temporal dev server for the whole suite, on free ports with a throwaway database, and
 * publishes its address through TEMPORAL_ADDRESS (jest workers inherit the environment).
 */
export default async function globalSetup(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'magnet-test-temporal-'));
  const port = await freePort();
  const uiPort = await freePort();
  const bin = temporalBinary();
  const child = spawnDevServer({
    bin,
    dbFile: path.join(dir, 'dev.sqlite'),
    port,
    uiPort,
    logFile: path.join(dir, 'server.log'),
    detached: true,
  });
  child.unref();
  await waitForPort(port, 60_000, 'test Temporal dev server');
  process.env.TEMPORAL_ADDRESS = `127.0.0.1:${port}`;
  process.env.MAGNET_TEST_TEMPORAL_DIR = dir;
  // teardown runs in this same process; several jest runs on one machine must not share this
  process.env.MAGNET_TEST_TEMPORAL_PID = String(child.pid);
  process.env.MAGNET_TEST_TEMPORAL_BIN = bin;
}
