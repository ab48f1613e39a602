/**
 * `npm run bench [-- --only <name>]`: `offline` (the default: a large offline run, throughput and history
 * sizes), `quota` (a capped fake provider: the share of its quota a run uses, with one and two workers) or
 * `export` (100,000 records in every export format: rows/s and peak RSS) or `graph` (the dependency graph of
 * synthetic pools of 5,000 and 20,000 functions: time and peak RSS).
 */
import { benchExport } from './export';
import { graphBench } from './graph';
import { offlineBench } from './offline';
import { quotaBench } from './quota';

const BENCHES: Record<string, () => Promise<void>> = {
  offline: offlineBench,
  quota: quotaBench,
  graph: graphBench,
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
    console.error(`usage: npm run bench [-- --only ${Object.keys(BENCHES).join('|')}]`);
    process.exit(2);
  }
  await bench();
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
