import path from 'node:path';
import { freePort, spawnDevServer, temporalBinary, waitForPort } from '../src/server/dev-server';

/** A private Temporal dev server for a bench, its database and log in `dir`; `stop()` kills it. */
export async function startBenchServer(dir: string): Promise<{ address: string; stop: () => void }> {
  const port = await freePort();
  const server = spawnDevServer({
    bin: temporalBinary(),
    dbFile: path.join(dir, 'dev.sqlite'),
    port,
    uiPort: await freePort(),
    logFile: path.join(dir, 'server.log'),
  });
  const stop = (): void => {
    server.kill('SIGKILL');
  };
  try {
    await waitForPort(port, 60_000, 'bench Temporal server');
  } catch (e) {
    stop();
    throw e;
  }
  return { address: `127.0.0.1:${port}`, stop };
}
