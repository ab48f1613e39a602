import path from 'node:path';
import { magnetCli } from '../helpers/cli';
import { fakeLlm, makeRunDir, prepare, runToEnd } from '../helpers/run';
import { temporalAddress, withClientAndFakeOpenAI } from '../helpers/temporal';

/**
 * A real run (fake provider, with a student model so there are DPO pairs) writes every format its config
 * lists, and `magnet validate` passes on each file; `magnet export` rebuilds them from the run folder.
 */
process.env.MAGNET_FAKE_KEY = 'sk-export';
const ctx = withClientAndFakeOpenAI();

const FORMATS = ['openai', 'openai-dpo', 'trl', 'sharegpt', 'hf', 'bfcl'];

/** The data files among what an export wrote (not its sidecars, cards, dataset_info or function docs). */
function dataFiles(files: string[]): string[] {
  return files.filter(
    (f) =>
      /\.jsonl?$/.test(f) &&
      !f.endsWith('.provenance.jsonl') &&
      !f.endsWith('dataset_info.json') &&
      !f.includes(`${path.sep}multi_turn_func_doc${path.sep}`),
  );
}

it('a run writes every configured format and magnet validate passes on each', async () => {
  const { client, server } = ctx;
  const { home, configFile } = makeRunDir({
    seed: 23,
    conversations: 6,
    negatives: { samples: 2 },
    export: { formats: FORMATS, split: 0.5 },
    llm: fakeLlm(server, { student: true }),
  });
  const input = await prepare(home, configFile, `export-${Date.now()}`);
  const summary = await runToEnd(client, input);
  expect(summary.failed).toBe(0);
  expect(summary.dpoPairs).toBeGreaterThan(0);
  // the pairs by group of the paper's mDPO set add up to the pairs written
  const byGroup = Object.values(summary.dpoByGroup ?? {}).reduce((a, b) => a + (b ?? 0), 0);
  expect(byGroup).toBe(summary.dpoPairs);
  const files = dataFiles(summary.files.exports ?? []);
  // every format wrote something
  for (const f of FORMATS) expect(files.some((x) => x.includes(`${path.sep}${f}${path.sep}`))).toBe(true);
  const env = { TEMPORAL_ADDRESS: temporalAddress(), MAGNET_HOME: home };
  for (const file of files) {
    const r = await magnetCli(['validate', file], env);
    expect({ file, code: r.code, out: r.stdout + r.stderr }).toMatchObject({ file, code: 0 });
  }
  const hf = files.find((f) => f.includes(`${path.sep}hf${path.sep}`)) as string;
  const folder = path.dirname(path.dirname(hf));
  expect((await magnetCli(['validate', folder], env)).code).toBe(0);

  // the same formats again from the run folder, into another folder
  const out = path.join(home, 'again');
  const again = await magnetCli(['export', input.runId, '--format', 'all', '--out', out], env);
  expect({ code: again.code, err: again.stderr }).toMatchObject({ code: 0 });
  for (const f of FORMATS) expect(again.stdout).toContain(f);
}, 300_000);
