import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/** The fast tests need Temporal's time-skipping test server, not a dev server: installed once if missing. */
export default function fastSetup(): void {
  const root = path.join(__dirname, '..', '..');
  if (
    process.env.TEMPORAL_TEST_SERVER ||
    existsSync(path.join(root, 'temporal', '.bin', 'temporal-test-server'))
  )
    return;
  execFileSync('bash', [path.join(root, 'temporal', 'install-test-server.sh')], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}
