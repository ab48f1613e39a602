import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { EXPORT_FORMATS } from '../../src/export/formats';
import { pyCall } from '../../src/export/pyrepr';
import { exportRecords } from '../../src/export/run';
import { syntheticRun } from '../helpers/export-run';

/**
 * The exports as trainers load them: `datasets.load_dataset` on the hf folder, the TRL SFT and DPO files and
 * the ShareGPT file, and Python's `ast` on every BFCL ground-truth string. Needs the venv `.ci/run` makes
 * (`.venv-test`, test/python/requirements.txt); MAGNET_TEST_PYTHON names another interpreter.
 */
const ROOT = path.join(__dirname, '..', '..');
const PYTHON = process.env.MAGNET_TEST_PYTHON ?? path.join(ROOT, '.venv-test', 'bin', 'python');
const present = existsSync(PYTHON);
if (!present)
  console.warn(
    `SKIPPED test/export-python.test.ts: no Python with datasets at ${PYTHON} (bash .ci/run installs it: python3 -m venv .venv-test && .venv-test/bin/pip install -r test/python/requirements.txt)`,
  );

(present ? describe : describe.skip)('exports load in Python (datasets, ast)', () => {
  it('loads hf, trl SFT/DPO and ShareGPT with load_dataset; every BFCL ground truth parses with ast', async () => {
    const { dir, pool } = await syntheticRun(80);
    const out = path.join(dir, 'export');
    await exportRecords({
      runId: 'syn',
      conversations: path.join(dir, 'conversations'),
      pool,
      formats: EXPORT_FORMATS,
      outDir: out,
      split: 0.75,
      seed: 5,
      license: 'unknown',
    });
    // call strings of arbitrary JSON arguments, for Python to read back and compare
    const samples = fc.sample(fc.dictionary(fc.string(), fc.jsonValue()), { numRuns: 300, seed: 11 });
    const cases = samples.map((a) => {
      const args = JSON.parse(JSON.stringify(a)) as Record<string, unknown>;
      return JSON.stringify({ source: pyCall('f', args), arguments: args });
    });
    writeFileSync(path.join(out, 'pyrepr-cases.jsonl'), cases.join('\n') + '\n');
    const stdout = execFileSync(PYTHON, [path.join(ROOT, 'test', 'python', 'load_exports.py'), out], {
      encoding: 'utf8',
      env: {
        ...process.env,
        HF_DATASETS_OFFLINE: '1',
        HF_HUB_OFFLINE: '1',
        HF_HOME: path.join(dir, 'hf-home'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const counts = JSON.parse(stdout.trim().split('\n').pop() as string) as Record<string, unknown>;
    expect(counts.hf).toEqual({ train: 60, validation: 20 });
    expect(counts.trl_sft).toEqual({ train: 60, validation: 20 });
    expect(counts.sharegpt).toBe(60);
    expect(counts.trl_dpo).toEqual(expect.any(Number));
    expect(counts.bfcl_calls).toEqual(expect.any(Number));
    expect(counts.bfcl_calls).toBeGreaterThan(0);
    expect(counts.pyrepr_cases).toBe(300);
  });
});
