/**
 * `npm run bench [-- --only <name>] [--quick]`: `offline` (the default: a large offline run, throughput against
 * the in-process baseline, history sizes), `memory` (10,000 offline conversations: worker RSS at 2,000 and
 * 10,000), `llm` (every role on a zero-latency fake provider: LLM steps per second), `quota` (a capped fake provider: the share of
 * its quota a run uses, with one and two workers), `export` (100,000 records in every export format: rows/s
 * and peak RSS) `mcp` (a conversation's own MCP server: start, call, rebuild) or `graph` (the dependency graph of synthetic pools of 5,000 and 20,000 functions: time and peak RSS). `--quick`: the offline
 * bench at a small size (< 3 min), failing only on errors: what CI runs.
 */
import { benchExport } from './export';
import { graphBench } from './graph';
import { mcpBench } from './mcp';
import { offlineBench } from './offline';
import { quotaBench } from './quota';

const BENCHES: Record<string, (quick: boolean) => Promise<void>> = {
  offline: (quick) => offlineBench({ quick }),
  memory: (quick) => offlineBench({ quick, conversations: quick ? 200 : 10_000, baseline: false }),
  llm: (quick) => offlineBench({ quick, llm: true }),
  quota: () => quotaBench(),
  mcp: () => mcpBench(),
  graph: () => graphBench(),
  export: async () => {
    const r = await benchExport();
    if (r.peakRssMiB >= 512) process.exitCode = 1;
  },
};

async function main(argv: string[]): Promise<void> {
  const i = argv.indexOf('--only');
  const name = i >= 0 ? argv[i + 1] : 'offline';
  const bench = name ? BENCHES[name] : undefined;
  if (!bench) {
    console.error(`usage: npm run bench [-- --only ${Object.keys(BENCHES).join('|')}] [--quick]`);
    process.exit(2);
  }
  await bench(argv.includes('--quick'));
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
