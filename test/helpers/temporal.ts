import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { installRuntime } from '../../src/worker';
import { startFakeOpenAI, type FakeOptions, type FakeServer } from '../fakes';

export function temporalAddress(): string {
  const address = process.env.TEMPORAL_ADDRESS;
  if (!address) throw new Error('TEMPORAL_ADDRESS is not set: the jest global setup starts the test server');
  return address;
}

export async function connect(): Promise<Client> {
  const connection = await Connection.connect({ address: temporalAddress() });
  return new Client({ connection });
}

const bundles = new Map<string, Promise<WorkflowBundleWithSourceMap>>();

/** A bundle of the workflows at `workflowsPath`, built once per test file (webpack takes seconds). */
export function bundleOf(workflowsPath: string): Promise<WorkflowBundleWithSourceMap> {
  installRuntime(process.env.MAGNET_LOG_LEVEL ? undefined : 'ERROR');
  let b = bundles.get(workflowsPath);
  if (!b) {
    b = bundleWorkflowCode({ workflowsPath, logger: quietLogger });
    bundles.set(workflowsPath, b);
  }
  return b;
}

/** magnet's workflows, bundled. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  return bundleOf(require.resolve('../../src/workflows'));
}

const noop = (): void => undefined;
const quietLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: console.error };

/** For a test file that drives runs: the bundle and a client set up before its tests (`ctx.client`), closed after. */
export function withClient(): { client: Client } {
  const ctx = {} as { client: Client };
  beforeAll(async () => {
    await workflowBundle();
    ctx.client = await connect();
  });
  afterAll(async () => {
    await ctx.client?.connection.close();
  });
  return ctx;
}

/**
 * For a test file that drives runs through the fake OpenAI server: the bundle, a client and the server are set
 * up before its tests (read `ctx.client`, `ctx.server` inside them) and closed after.
 */
export function withClientAndFakeOpenAI(options: FakeOptions = {}): { client: Client; server: FakeServer } {
  const ctx = {} as { client: Client; server: FakeServer };
  beforeAll(async () => {
    await workflowBundle();
    ctx.client = await connect();
    ctx.server = await startFakeOpenAI(options);
  });
  afterAll(async () => {
    await ctx.server?.close();
    await ctx.client?.connection.close();
  });
  return ctx;
}
