import { existsSync } from 'node:fs';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { installRuntime } from '../../src/worker';

/** The time-skipping test server that temporal/install-test-server.sh installs (the fast tests' setup runs it). */
export function testServerPath(): string {
  const p =
    process.env.TEMPORAL_TEST_SERVER ??
    path.join(__dirname, '..', '..', 'temporal', '.bin', 'temporal-test-server');
  if (!existsSync(p)) throw new Error(`${p} not found: run bash temporal/install-test-server.sh`);
  return p;
}

/** A Temporal test server in which timers fire as soon as nothing else is running: days take milliseconds. */
export function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  installRuntime(process.env.MAGNET_LOG_LEVEL ? undefined : 'ERROR');
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: testServerPath() } },
  });
}

/** For a test file on the time-skipping server: started before its tests (read `ctx.env` in them), torn down after. */
export function withTimeSkippingEnv(): { env: TestWorkflowEnvironment } {
  const ctx = {} as { env: TestWorkflowEnvironment };
  beforeAll(async () => {
    ctx.env = await timeSkippingEnv();
  });
  afterAll(async () => {
    await ctx.env?.teardown();
  });
  return ctx;
}
