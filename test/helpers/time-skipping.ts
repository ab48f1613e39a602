import { existsSync } from 'node:fs';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
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

const bundles = new Map<string, Promise<WorkflowBundleWithSourceMap>>();
const noop = (): void => undefined;

/** A workflow bundle of a module (webpack takes seconds: built once per test file and path). */
export function bundleOf(workflowsPath: string): Promise<WorkflowBundleWithSourceMap> {
  let b = bundles.get(workflowsPath);
  if (!b) {
    b = bundleWorkflowCode({
      workflowsPath,
      logger: { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: console.error },
    });
    bundles.set(workflowsPath, b);
  }
  return b;
}
