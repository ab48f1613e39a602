import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { buildGraphWithConfig } from '../../src/cli/graph-build';
import { Graph } from '../../src/core/graph';
import { fakeLlm, makeRunDir, prepare } from '../helpers/run';
import { withClientAndFakeOpenAI, workflowBundle } from '../helpers/temporal';

/**
 * `magnet graph --config C` judges with C's dependency judge exactly as a run does: with an LLM judge, one
 * request per function (all its candidates in one prompt), answers cached, paid requests in the ledger; the
 * graph file it writes is one a run can reuse.
 */
process.env.MAGNET_FAKE_KEY = 'sk-graph-config';
const ctx = withClientAndFakeOpenAI();

it('with an LLM judge on the fake server it sends one judge request per function, then none again', async () => {
  const { server } = ctx;
  const { home, configFile } = makeRunDir({
    seed: 5,
    conversations: 1,
    llm: fakeLlm(server),
  });
  const before = process.env.MAGNET_HOME;
  process.env.MAGNET_HOME = home;
  const logs: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void logs.push(a.join(' ')));
  try {
    const out = path.join(home, 'graph.json');
    const opts = { config: configFile, out, cache: true, preflight: true };
    const workerOptions = { workflowBundle: await workflowBundle() };
    const first = await buildGraphWithConfig({ ...opts, workerOptions });

    const judged = server.log.filter((e) => e.role === 'dependency_judge');
    const functions = first.graph.nodes.length;
    expect(functions).toBe(54);
    expect(judged.filter((e) => e.outcome === 'ok')).toHaveLength(functions);
    // one request per function: 54 different prompts, none repeated
    expect(new Set(judged.map((e) => e.bodyHash)).size).toBe(functions);
    expect(server.log.filter((e) => e.role !== undefined && e.role !== 'dependency_judge')).toEqual([]);
    expect(first.usage).toMatchObject({ requests: functions, cached: 0 });
    expect(readFileSync(first.ledger, 'utf8').trim().split('\n')).toHaveLength(functions);

    const written = Graph.parse(JSON.parse(readFileSync(out, 'utf8')) as unknown);
    expect(written.judge).toBe('llm:fake/m1');
    expect(written.edges.length).toBeGreaterThan(0);
    expect((JSON.parse(readFileSync(out, 'utf8')) as { pool: string[] }).pool).toEqual([
      path.join(home, 'pool'),
    ]);
    expect(logs.join('\n')).toContain(`judge requests: ${functions} sent (+0 from cache)`);

    // the same config again: every answer from the cache, nothing sent
    const second = await buildGraphWithConfig({ ...opts, workerOptions });
    expect(server.log.filter((e) => e.role === 'dependency_judge')).toHaveLength(judged.length);
    expect(second.usage).toMatchObject({ requests: 0, cached: functions });
    expect(second.graph.edges).toEqual(first.graph.edges);

    // a run reuses the file through its config's graph field
    const { configFile: reuse } = makeRunDir({ graph: out, conversations: 1 });
    const input = await prepare(home, reuse, `graph-reuse-${Date.now()}`);
    expect(input.graphPath).toBe(out);
    expect(existsSync(input.graphPath as string)).toBe(true);
  } finally {
    log.mockRestore();
    if (before === undefined) delete process.env.MAGNET_HOME;
    else process.env.MAGNET_HOME = before;
  }
}, 300_000);
