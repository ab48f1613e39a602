import { spawn } from 'node:child_process';
import { mkdtempSync, openSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { temporalBinary, waitForPort } from '../../src/cli/server';
import { devServerSearchAttributeFlags } from '../../src/workflows/search-attributes';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Starts one real Temporal dev server for the whole suite, on free ports with a throwaway database, and
 * publishes its address through TEMPORAL_ADDRESS (jest workers inherit the environment).
 */
export default async function globalSetup(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'magnet-test-temporal-'));
  const port = await freePort();
  const uiPort = await freePort();
  const bin = temporalBinary();
  const log = openSync(path.join(dir, 'server.log'), 'a');
  const child = spawn(
    bin,
    [
      'server',
      'start-dev',
      '--db-filename',
      path.join(dir, 'dev.sqlite'),
      '--port',
      String(port),
      '--ui-port',
      String(uiPort),
      '--ip',
      '127.0.0.1',
      '--log-level',
      'error',
      ...devServerSearchAttributeFlags(),
    ],
    { detached: true, stdio: ['ignore', log, log] },
  );
  child.unref();
  await waitForPort(port, 60_000, 'test Temporal dev server');
  process.env.TEMPORAL_ADDRESS = `127.0.0.1:${port}`;
  process.env.MAGNET_TEST_TEMPORAL_DIR = dir;
  // teardown runs in this same process; several jest runs on one machine must not share this
  process.env.MAGNET_TEST_TEMPORAL_PID = String(child.pid);
  process.env.MAGNET_TEST_TEMPORAL_BIN = bin;
}
