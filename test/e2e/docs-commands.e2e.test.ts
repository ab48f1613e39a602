import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { magnetCli } from '../helpers/cli';
import { extractCommands, type DocCommand } from '../helpers/docs-commands';
import { runDocCommand, tally, type Outcome, type RunSettings } from '../helpers/docs-commands-run';
import { ROOT } from '../helpers/run';
import { connect, temporalAddress } from '../helpers/temporal';

/**
 * Documented = tested (issue 23 item 1): every magnet / node bin/magnet.js / npm run command in the code blocks
 * of README.md and docs/*.md runs, as the docs show it, against one small offline run made here, and exits as the
 * docs say. Commands marked in the docs (`<!-- docs-test: ... -->`, see test/helpers/docs-commands.ts) are only
 * checked with --help (a real provider, a server on fixed ports, a process that serves until stopped) or not run.
 *
 * By rule, `npm run <script>` is not run again (only checked to exist): demo, test, bench, build... are what CI
 * itself runs (.ci/run), and running the test suite from inside it would recurse.
 *
 * The commands run in a scratch folder holding links to the repository's files (bin, dist, examples...), with
 * MAGNET_HOME in it: what they write (graph.json, builtin.json, .magnet/runs/...) stays out of the repository.
 */

const PAGES = [
  'README.md',
  ...readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`),
];
/** The run the docs' commands look at (the README's run id, offline here) and one left running with no worker. */
const RUN = 'my-run-1';
const LIVE = `docs-live-${Date.now()}`;
const CONTROL = new Set(['pause', 'resume', 'stop', 'cancel']);

/**
 * A scratch working folder: links to every file of the repository but its data folder, and MAGNET_HOME.
 * `remove` unlinks the links first, so removing the folder can never reach into the repository.
 */
function scratch(): { cwd: string; home: string; binDir: string; remove: () => void } {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'magnet-docs-'));
  const links = readdirSync(ROOT)
    .filter((f) => f !== '.magnet' && f !== '.git')
    .map((f) => path.join(cwd, f));
  for (const link of links) symlinkSync(path.join(ROOT, path.basename(link)), link);
  const binDir = path.join(cwd, '.bin-docs');
  mkdirSync(binDir);
  const bin = `#!/bin/sh\nexec "${process.execPath}" "${ROOT}/bin/magnet.js" "$@"\n`;
  writeFileSync(path.join(binDir, 'magnet'), bin, { mode: 0o755 });
  const remove = (): void => {
    for (const link of links) unlinkSync(link);
    rmSync(cwd, { recursive: true, force: true });
  };
  return { cwd, home: path.join(cwd, '.magnet'), binDir, remove };
}

/** The README's own config (the block after "Save as `my-run.json`"): estimate and pool inspect read it. */
function readmeConfig(): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const m = /Save as `my-run\.json`[\s\S]*?```json\n([\s\S]*?)```/.exec(readme);
  if (!m?.[1]) throw new Error('README.md: no json block after "Save as `my-run.json`"');
  return m[1];
}

/** Placeholder values; the control commands (pause, resume, stop, cancel) act on the run left running. */
const isControl = (c: DocCommand): boolean => c.args[0]?.split('|').every((w) => CONTROL.has(w)) ?? false;

function valuesFor(c: DocCommand): Record<string, string> {
  const run = isControl(c) ? LIVE : RUN;
  return {
    '<run>': run,
    '<run-id>': run,
    ID: run,
    $R: run,
    [RUN]: run,
    'uifail-1': run,
    '<f>': 'trl',
    f: 'trl',
    C: 'docs-run.json',
    P: 'examples/pool',
    F: 'get_nearest_airport',
    Q: 'docs-queue',
    FILE: `.magnet/runs/${RUN}/export/trl/sft-train.jsonl`,
    '<file>': `.magnet/runs/${RUN}/export/trl/sft-train.jsonl`,
    '<files|folders|builtin[:category]|-…>': 'examples/pool',
    DIR: `.magnet/runs/${RUN}/export`,
  };
}

it('every command the docs show runs as they say', async () => {
  const { cwd, home, binDir, remove } = scratch();
  const env = {
    ...process.env,
    MAGNET_HOME: home,
    TEMPORAL_ADDRESS: temporalAddress(),
    OPENAI_API_KEY: 'unused',
  };
  writeFileSync(path.join(cwd, 'my-run.json'), readmeConfig());
  writeFileSync(
    path.join(cwd, 'docs-run.json'),
    JSON.stringify({
      name: 'docs',
      pool: 'examples/pool',
      seed: 3,
      conversations: 4,
      mix: { multi_turn: 1 },
      llm: { default: { provider: 'offline' } },
      export: { formats: ['openai', 'trl', 'hf'] },
    }),
  );
  // "pool inspect examples/pool my-tools.yaml": the reader's own file, here one function in YAML
  writeFileSync(
    path.join(cwd, 'my-tools.yaml'),
    'name: ping\ndescription: Check that a host answers.\nparameters:\n  type: object\n  properties:\n    host: { type: string }\n',
  );
  const made = await magnetCli(['run', '--config', path.join(cwd, 'docs-run.json'), '--run-id', RUN], env);
  expect(made.code).toBe(0);
  const live = await magnetCli(
    ['run', '--config', path.join(cwd, 'docs-run.json'), '--run-id', LIVE, '--detach', '--no-worker'],
    env,
  );
  expect(live.code).toBe(0);

  const scripts = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts;
  const passed = new Map<string, string>();
  const outcomes: (Outcome & { ms: number })[] = [];
  try {
    for (const page of PAGES)
      for (const c of extractCommands(page, readFileSync(path.join(ROOT, page), 'utf8'))) {
        const settings: RunSettings = {
          cwd,
          env,
          binDir,
          values: valuesFor(c),
          scripts,
          timeoutMs: 45_000,
          passed,
        };
        const start = Date.now();
        outcomes.push({ ...(await runDocCommand(c, settings)), ms: Date.now() - start });
      }
  } finally {
    const client = await connect();
    await client.workflow
      .getHandle(LIVE)
      .terminate('docs-commands test done')
      .catch(() => undefined);
    await client.connection.close();
  }
  const notRun = outcomes
    .filter((o) => o.status !== 'ran')
    .map(
      (o) =>
        `  ${o.status} ${o.command.file}:${o.command.line} ${o.command.text}: ${o.command.reason ?? 'npm script (CI runs it)'}`,
    );
  const slowest = [...outcomes].sort((a, b) => b.ms - a.ms).slice(0, 3);
  console.log(
    [
      tally(outcomes),
      ...notRun,
      `slowest: ${slowest.map((o) => `${o.command.file}:${o.command.line} ${(o.ms / 1000).toFixed(1)} s`).join(', ')}`,
    ].join('\n'),
  );
  expect(outcomes.flatMap((o) => o.failures)).toEqual([]);
  // the docs do show commands, and most run: an extraction that found none would pass for the wrong reason
  expect(outcomes.filter((o) => o.status === 'ran').length).toBeGreaterThan(30);
  // no worker serves the live run: a control command must not wait for one (resume's query waited 33 s)
  const slowControl = outcomes.filter((o) => o.status === 'ran' && isControl(o.command) && o.ms > 15_000);
  expect(slowControl.map((o) => `${o.command.file}:${o.command.line} ${o.ms} ms`)).toEqual([]);
  // kept when the test fails, to look at what the commands wrote
  remove();
}, 240_000);

it('a documented command that breaks fails, against the real CLI', async () => {
  const { cwd, home, binDir, remove } = scratch();
  const md = ['```bash', 'magnet runs', 'magnet valdate <run>   # a typo', '```'].join('\n');
  const settings: RunSettings = {
    cwd,
    env: { ...process.env, MAGNET_HOME: home, TEMPORAL_ADDRESS: temporalAddress() },
    binDir,
    values: { '<run>': RUN },
    scripts: {},
    timeoutMs: 30_000,
  };
  const failures = [];
  for (const c of extractCommands('docs/x.md', md))
    failures.push(...(await runDocCommand(c, settings)).failures);
  expect(failures).toEqual([
    `docs/x.md:3: magnet valdate ${RUN}: exit 1 (the docs expect 0): error: unknown command 'valdate' (Did you mean validate?) (see magnet help)`,
  ]);
  remove();
});
