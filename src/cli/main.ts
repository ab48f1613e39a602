import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { connect, listRuns, retryFailed, runInputOf, runStatus, signalRun, startRerun } from '../client';
import { RunConfig } from '../core/config';
import { ConfigError, loadConfig } from '../io/config-file';
import { checkKeys, preflight } from '../llm/preflight';
import { packageRoot } from '../io/paths';
import { localServerStatus, startLocalServer, stopLocalServer } from '../temporal/dev-server';
import { sharedTaskQueue } from '../temporal/task-queue';
import { createWorkers } from '../worker';
import { buildGraphFile, buildGraphWithConfig, printPaths } from './graph';
import { drawGraphFile, evalGraphFile, showGraphFunction } from './graph-inspect';
import { nonNegativeInt, positiveInt, repeatableOption, setOption, typedOption } from './options';
import { exitCodeOf, printRetry, printStatus, printSummary } from './report';
import { exportRun, shareOf, type ExportRunOptions } from './export';
import { printValidation, validatePath } from './validate';
import { DEFAULT_SPLIT, EXPORT_FORMATS, VALIDATE_FORMATS } from '../export/formats';
import { attachRun, launchRun, prepareRun, writeRunReport } from './run';
import { estimateRun } from '../estimate/estimate';
import { formatEstimate, rateOf } from './estimate';
import { writeHtmlReport } from './html-report';
import { addPoolCommands } from './pool';

const TEMPORAL_NOTE = `
Temporal: the server of TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE / TEMPORAL_API_KEY / TEMPORAL_TLS* or of a
TEMPORAL_PROFILE in temporal.toml when set, else the local dev server (127.0.0.1:7233, UI :8233; ports from
MAGNET_TEMPORAL_PORT / MAGNET_TEMPORAL_UI_PORT). Only run, demo, attach, worker and "server start" start the
local server; the other commands need one running. Data lives in $MAGNET_HOME (default ./.magnet).`;

function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}`;
}

function subcommand(parent: Command, name: string | undefined): Command | undefined {
  return parent.commands.find((c) => c.name() === name || (name !== undefined && c.aliases().includes(name)));
}

const stamp = (): string =>
  new Date()
    .toISOString()
    .replace(/[-:.TZ]/g, '')
    .slice(0, 14);

/**
 * The command tree. Actions set `result.code`; every error is thrown, so the bin prints it as one line.
 */
function program(result: { code: number }): Command {
  const magnet = new Command('magnet')
    .description('multi-turn function-calling data synthesis (MAGNET) on Temporal')
    .exitOverride()
    // commander's own errors are rethrown as one-line ConfigErrors below, and printed once by the bin
    .configureOutput({ outputError: () => undefined })
    .helpCommand(false)
    .addHelpText(
      'after',
      examples(
        'magnet demo',
        'magnet run --config my-run.json --conversations 100',
        'magnet status travel-v1-20250101-120000',
        'magnet help retry',
      ) + `\n${TEMPORAL_NOTE}`,
    );

  magnet
    .command('run')
    .description('start a synthesis run from a config file and work on it until it ends')
    .addOption(new Option('--config <file>', 'run config (JSON; paths relative to it)').makeOptionMandatory())
    .option('--run-id <id>', 'workflow id of the run (default: <name>-<timestamp>)')
    .addOption(
      typedOption('--conversations <n>', "number of conversations (overrides the config's)", positiveInt),
    )
    .option('--detach', 'start the run and return (follow it with "magnet attach")')
    .option('--no-worker', 'do not run a worker in this process (other workers do the work)')
    .option(
      '--task-queue <name>',
      "a shared task queue (default: the run's own, magnet-<run id>; also MAGNET_TASK_QUEUE)",
    )
    .option('--no-cache', 'ask the LLMs afresh instead of reusing cached answers')
    .option(
      '--no-preflight',
      "start without first checking that each provider's key variable is set and its endpoint answers",
    )
    .option('--dry-run', 'print the estimate (as magnet estimate) and start nothing')
    .addHelpText(
      'after',
      examples(
        'magnet run --config my-run.json',
        'magnet run --config my-run.json --dry-run',
        'magnet run --config my-run.json --run-id travel-v2 --conversations 2000 --detach',
        'magnet run --config my-run.json --no-preflight',
      ) +
        `\n\nBefore the run starts, every provider the roles use is checked (preflight): its key variable is set
and one models-list request within 3 s is answered without 401/403. A failure is one line and exit 1.`,
    )
    .action(
      async (o: {
        config: string;
        runId?: string;
        conversations?: number;
        detach?: boolean;
        worker: boolean;
        cache: boolean;
        preflight: boolean;
        taskQueue?: string;
        dryRun?: boolean;
      }) => {
        const input = await prepareRun(o.config, {
          runId: o.runId,
          conversations: o.conversations,
          noCache: !o.cache,
          taskQueue: o.taskQueue,
        });
        if (o.dryRun) {
          console.log(formatEstimate(await estimateRun(input)));
          return;
        }
        if (o.preflight) await preflight(input.config);
        const summary = await launchRun(input, { detach: o.detach, worker: o.worker });
        printSummary(summary);
        if (summary) await writeRunReport(input.outDir);
        result.code = exitCodeOf(summary);
      },
    );

  magnet
    .command('estimate')
    .description(
      'requests, tokens, cost and duration of a run config per role, without calling any model or starting anything',
    )
    .addOption(new Option('--config <file>', 'run config (JSON; paths relative to it)').makeOptionMandatory())
    .addOption(
      typedOption('--conversations <n>', "number of conversations (overrides the config's)", positiveInt),
    )
    .addOption(
      typedOption(
        '--sample <k>',
        'conversations simulated request by request (the rest scaled)',
        positiveInt,
      ),
    )
    .addOption(
      typedOption(
        '--student-error-rate <r>',
        'mDPO: share of student samples that are wrong (judged, then worded by the negative teacher)',
        rateOf,
      ),
    )
    .option('--json', 'print the estimate as JSON')
    .addHelpText(
      'after',
      examples(
        'magnet estimate --config my-run.json',
        'magnet estimate --config my-run.json --conversations 20000 --json',
      ) +
        `\n\nThe graph is built (offline judge) and every conversation planned as the run would; a sample of
conversations is simulated request by request with the offline backend standing in for the models, each
prompt counted with its model's tokenizer (OpenAI models: gpt-tokenizer; others: characters / 4), then
scaled to the run's turns. Cost from llm.prices (batch price for roles in batch mode); duration from each
provider's requestsPerSecond and tokensPerMinute. A run stores its estimate as <run folder>/estimate.json.`,
    )
    .action(
      async (o: {
        config: string;
        conversations?: number;
        sample?: number;
        studentErrorRate?: number;
        json?: boolean;
      }) => {
        const input = await prepareRun(o.config, { conversations: o.conversations, runId: 'estimate' });
        const e = await estimateRun(input, { sample: o.sample, studentErrorRate: o.studentErrorRate });
        console.log(o.json ? JSON.stringify(e, null, 2) : formatEstimate(e));
      },
    );

  magnet
    .command('report')
    .description(
      "write a run's report as one self-contained HTML file (charts, estimate vs actual, sample conversations)",
    )
    .argument('<run>', 'run id (under $MAGNET_HOME/runs) or run folder')
    .option('--out <file>', 'HTML file to write (default: <run folder>/report.html)')
    .addHelpText(
      'after',
      examples('magnet report travel-v1', 'magnet report .magnet/runs/travel-v1 --out /tmp/travel-v1.html') +
        `\n\nWorks offline (no script or style is fetched). Links to the Temporal UI use the local dev server's UI
address, or MAGNET_TEMPORAL_UI_URL when set.`,
    )
    .action(async (run: string, o: { out?: string }) => {
      const file = await writeHtmlReport(run, { out: o.out });
      console.log(`report: ${file}`);
    });

  magnet
    .command('demo')
    .description(
      "~20-item offline demo (the paper's mix of kinds) on the example pool (local dev server, worker in-process)",
    )
    .addHelpText('after', examples('magnet demo', 'MAGNET_HOME=/tmp/magnet magnet demo'))
    .action(async () => {
      const config = path.join(packageRoot(), 'examples', 'demo.config.json');
      const input = await prepareRun(config, { runId: `demo-${stamp()}` });
      await preflight(input.config);
      const summary = await launchRun(input);
      printSummary(summary);
      if (summary) await writeRunReport(input.outDir);
      const server = await localServerStatus();
      if (!process.env.TEMPORAL_ADDRESS && server.running)
        console.log(
          `Temporal UI: ${server.uiUrl} (server keeps running; stop it with: node bin/magnet.js server stop)`,
        );
      result.code = exitCodeOf(summary);
    });

  magnet
    .command('status')
    .description(
      'progress of a run: counts, waiting conversations and why, failures, tokens, cost, rate, ETA',
    )
    .argument('<run-id>')
    .option('--json', 'print the numbers as JSON')
    .addHelpText('after', examples('magnet status travel-v1', 'magnet status travel-v1 --json'))
    .action(async (runId: string, o: { json?: boolean }) => {
      const { client } = await connect();
      const status = await runStatus(client, runId);
      if (o.json) console.log(JSON.stringify(status, null, 2));
      else printStatus(runId, status);
    });

  magnet
    .command('attach')
    .description('follow a run started earlier (e.g. with --detach) and work on it until it ends')
    .argument('<run-id>')
    .option('--no-worker', 'only show progress, do not run a worker in this process')
    .addHelpText('after', examples('magnet attach travel-v1', 'magnet attach travel-v1 --no-worker'))
    .action(async (runId: string, o: { worker: boolean }) => {
      const summary = await attachRun(runId, { worker: o.worker });
      printSummary(summary);
      await writeRunReport(path.dirname(summary.files.report));
      result.code = exitCodeOf(summary);
    });

  magnet
    .command('retry')
    .alias('replay')
    .description(
      'run the failed step of waiting conversations again (and what follows), keeping every finished turn',
    )
    .argument('<run-id>')
    .addOption(
      new Option('--failed', 'retry failed steps (required: says what is retried)').makeOptionMandatory(),
    )
    .option('--conversation <id>', 'only this conversation (conv-00042 or the full workflow id)')
    .addOption(
      typedOption('--turn <n>', 'only conversations whose failed step is in turn n (1-based)', positiveInt),
    )
    .addOption(setOption())
    .option('--watch', 'then follow the run (with a worker in this process) until it ends')
    .addHelpText(
      'after',
      examples(
        'magnet retry travel-v1 --failed',
        'magnet retry travel-v1 --failed --conversation conv-00042 --turn 3 --set forth_translate.model=gpt-4o',
        'magnet retry travel-v1 --failed --set teacher.temperature=0.2 --watch',
      ) +
        `\n\nEach conversation answers whether it runs the step again or why not (not waiting, bad override).
"replay" is an alias kept from the first release; in Temporal, replaying means re-running a workflow's
recorded history against its code, which this command does not do.`,
    )
    .action(
      async (
        runId: string,
        o: { conversation?: string; turn?: number; set?: Record<string, string>; watch?: boolean },
      ) => {
        const { client } = await connect();
        const outcomes = await retryFailed(client, runId, {
          conversation: o.conversation,
          turn: o.turn,
          set: o.set ?? {},
        });
        if (outcomes.length === 0)
          console.log(
            `no conversation of ${runId} is waiting for a retry${o.conversation || o.turn ? ' (that matches the filter)' : ''}`,
          );
        const retrying = printRetry(outcomes);
        result.code = retrying > 0 ? 0 : 1;
        if (retrying > 0 && o.watch) printSummary(await attachRun(runId, { worker: true }));
      },
    );

  magnet
    .command('rerun')
    .description(
      'give conversations that ended failed (their wait for a retry ran out) a new execution, then export again',
    )
    .argument('<run-id>')
    .addOption(
      new Option(
        '--failed',
        'rerun the failed conversations (required: says what is rerun)',
      ).makeOptionMandatory(),
    )
    .option('--conversation <id>', 'only this conversation (conv-00042 or the full workflow id)')
    .addOption(setOption())
    .addHelpText(
      'after',
      examples(
        'magnet rerun travel-v1 --failed',
        'magnet rerun travel-v1 --failed --conversation conv-00042 --set forth_translate.model=gpt-4o',
      ) +
        `\n\nEach failed conversation runs again with the same input, so its requests are the same: answers already
paid come from the response cache and only the failed step and what follows cost anything. The run must
have ended; a conversation still waiting is retried with "magnet retry". This process works on the rerun.`,
    )
    .action(async (runId: string, o: { conversation?: string; set?: Record<string, string> }) => {
      const { client, server } = await connect({ startLocal: true });
      const started = await startRerun(client, runId, { conversation: o.conversation, set: o.set ?? {} });
      if (!started.handle) {
        console.log(`no conversation of ${runId} ended failed`);
        return;
      }
      checkKeys(started.input.config);
      console.log(`rerunning ${started.conversations.length} failed conversation(s) of ${runId}:`);
      for (const c of started.conversations)
        console.log(
          `  ${c.id} (was ${c.failure?.where ?? c.failure?.stage}: ${c.failure?.type}: ${c.failure?.message})`,
        );
      const workers = await createWorkers({
        address: server.address,
        config: started.input.config,
        taskQueue: started.input.taskQueue,
      });
      const done = started.handle.result();
      await Promise.allSettled(workers.map((w) => w.worker.runUntil(done)));
      for (const w of workers) await w.connection.close();
      const { summary, rerun } = await done;
      for (const r of rerun)
        console.log(`  ${r.id}: ${r.status}${r.failure ? ` (${r.failure.type}: ${r.failure.message})` : ''}`);
      printSummary(summary);
      result.code = exitCodeOf(summary);
    });

  for (const [what, description] of [
    ['pause', 'stop starting conversations (those in flight finish)'],
    ['resume', 'start conversations again after a pause'],
    [
      'stop',
      'end the run early, gracefully: no new conversations, those running finish, then it exports what it has',
    ],
    ['cancel', 'cancel the run and its conversations at once (nothing is exported)'],
  ] as const)
    magnet
      .command(what)
      .description(description)
      .argument('<run-id>')
      .addHelpText('after', examples(`magnet ${what} travel-v1`))
      .action(async (runId: string) => {
        const { client } = await connect();
        await signalRun(client, runId, what);
        console.log(`${what}: sent to ${runId}`);
      });

  magnet
    .command('runs')
    .description('list runs, newest first: id, status, start time')
    .addHelpText('after', examples('magnet runs', 'TEMPORAL_PROFILE=cloud magnet runs'))
    .action(async () => {
      const { client } = await connect();
      for (const r of await listRuns(client))
        console.log(`${r.runId}\t${r.status}\t${r.start.toISOString()}`);
    });

  magnet
    .command('export')
    .description(
      "write a run's conversations as training and evaluation files (openai, trl, sharegpt, hf, bfcl...)",
    )
    .argument('<run>', 'run id (under $MAGNET_HOME/runs) or run folder')
    .addOption(
      repeatableOption(
        '--format <f>',
        `format (repeatable or comma-separated): ${EXPORT_FORMATS.join(', ')}, all`,
      ).makeOptionMandatory(),
    )
    .addOption(
      typedOption('--split <share>', 'share of conversations in the train split, (0, 1]', shareOf).default(
        DEFAULT_SPLIT,
      ),
    )
    .option('--out <dir>', 'output folder (default: <run folder>/export); each format gets a subfolder')
    .addOption(
      repeatableOption('--pool <path>', "the run's pool (default: <run folder>/pool.json, saved by the run)"),
    )
    .addOption(typedOption('--seed <n>', 'seed of the train/validation split', nonNegativeInt).default(0))
    .option('--license <id>', 'licence the dataset card states (a Hugging Face licence id)', 'unknown')
    .option(
      '--dedup',
      "leave out turns whose user query repeats an earlier one (default: as the run's quality.dedup did)",
    )
    .option(
      '--no-dedup',
      'keep every turn, repeated queries too: the exports match the records line for line',
    )
    .addHelpText(
      'after',
      examples(
        'magnet export travel-v1 --format trl --format hf',
        'magnet export .magnet/runs/travel-v1 --format all --split 0.9 --out /data/travel-v1',
      ) +
        `\n\nStreams the records (bounded memory). With a split below 1, bfcl holds the validation conversations only.
Provenance (backend, models, seed) goes into <file>.provenance.jsonl beside each file, into the hf rows and card.`,
    )
    .action(async (run: string, o: ExportRunOptions) => {
      await exportRun(run, o);
    });

  magnet
    .command('validate')
    .description('check an exported file (or hf folder) against its format; exit 1 naming the lines')
    .argument('<file>')
    .option('--format <f>', `${VALIDATE_FORMATS.join(', ')} (default: sniffed from the first row)`)
    .addHelpText(
      'after',
      examples(
        'magnet validate runs/travel-v1/export/trl/sft-train.jsonl',
        'magnet validate out.jsonl --format openai',
      ) +
        `\n\nChecks: calls name offered tools, arguments parse and match the tool's JSON schema, every call has its
result, roles come in an order the format allows (OpenAI's keys; LLaMA-Factory's ShareGPT positions).`,
    )
    .action(async (file: string, o: { format?: string }) => {
      const problems = printValidation(await validatePath(file, o.format));
      result.code = problems > 0 ? 1 : 0;
    });

  const graph = magnet
    .command('graph')
    .description(
      "build the local dependency graph of a function pool and print its stats (the offline judge, or a run config's dependency judge)",
    )
    .addOption(repeatableOption('--pool <path>', "pool file or folder (repeatable; default: the config's)"))
    .option('--config <file>', 'run config: its pool, graph settings and dependency judge (LLM or offline)')
    // not mandatory in commander's sense: it would then be required by "graph eval" and "graph show" too
    .option('--out <file>', 'graph JSON to write (required)')
    .option('--dot <file>', 'also write Graphviz DOT')
    .option('--html <file>', 'also write a self-contained HTML drawing (edges coloured by relation)')
    .option('--category <name>', 'with --html: draw only this category')
    .addOption(typedOption('--max-candidates <k>', 'candidates judged per function', positiveInt))
    .option('--no-cache', 'with --config: ask the LLM judge afresh instead of reusing cached answers')
    .option('--no-preflight', "with --config: do not check the judge's provider before starting")
    .addHelpText(
      'after',
      examples(
        'magnet graph --pool examples/pool --out graph.json --dot graph.dot',
        'magnet graph --pool pools/a.json --pool pools/bfcl/ --out graph.json --max-candidates 30',
        'magnet graph --config my-run.json --out graph.json   # the config\'s judge; reuse with "graph": "graph.json"',
        'magnet graph eval --graph graph.json --reference examples/graph-reference.json',
        'magnet graph show graph.json --function send_message',
        'magnet graph --pool examples/pool --out graph.json --html messaging.html --category messaging',
      ),
    )
    .action(
      async (o: {
        pool?: string[];
        config?: string;
        out?: string;
        dot?: string;
        html?: string;
        category?: string;
        maxCandidates?: number;
        cache: boolean;
        preflight: boolean;
      }) => {
        const out = o.out;
        if (!out) throw new ConfigError('magnet graph: --out <file> is required');
        if (o.config) await buildGraphWithConfig({ ...o, out, config: o.config });
        else if (o.pool) await buildGraphFile({ ...o, out, pool: o.pool });
        else throw new ConfigError('magnet graph: --pool or --config is required');
      },
    );

  graph
    .command('eval')
    .description('measure a graph against a hand-checked reference: recall, precision, isolated functions')
    .addOption(new Option('--graph <file>', 'graph JSON').makeOptionMandatory())
    .addOption(
      new Option('--reference <file>', 'reference JSON (edges and plausible edges)').makeOptionMandatory(),
    )
    .option('--json', 'print the figures as JSON')
    .option('--verbose', 'list every missed and unexpected edge')
    .addHelpText(
      'after',
      examples('magnet graph eval --graph graph.json --reference examples/graph-reference.json'),
    )
    .action(async (o: { graph: string; reference: string; json?: boolean; verbose?: boolean }) => {
      await evalGraphFile(o);
    });

  graph
    .command('show')
    .description("print a function's candidates, its edges in and out, and each edge's evidence")
    .argument('<graph>', 'graph JSON')
    .addOption(new Option('--function <name>', 'the function').makeOptionMandatory())
    .option('--json', 'print as JSON')
    .addHelpText('after', examples('magnet graph show graph.json --function send_message'))
    .action(async (file: string, o: { function: string; json?: boolean }) => {
      await showGraphFunction({ graph: file, ...o });
    });

  graph
    .command('draw')
    .description('write a self-contained HTML drawing of a graph file (edges coloured by relation)')
    .argument('<graph>', 'graph JSON')
    .addOption(new Option('--html <file>', 'the page to write').makeOptionMandatory())
    .option('--category <name>', 'draw only this category')
    .addHelpText('after', examples('magnet graph draw graph.json --html travel.html --category travel'))
    .action(async (file: string, o: { html: string; category?: string }) => {
      await drawGraphFile({ graph: file, ...o });
    });

  addPoolCommands(magnet, examples);

  magnet
    .command('paths')
    .description('sample function-signature paths (FSPs) from a graph and print them with their turns')
    .addOption(new Option('--graph <file>', 'graph JSON from "magnet graph"').makeOptionMandatory())
    .addOption(repeatableOption('--pool <path>', 'pool (default: the one the graph records; repeatable)'))
    .addOption(typedOption('--n <n>', 'number of FSPs', positiveInt).default(20))
    .addOption(typedOption('--seed <seed>', 'random seed', nonNegativeInt).default(7))
    .option('--json', 'one JSON plan per line')
    .addHelpText(
      'after',
      examples('magnet paths --graph graph.json --n 20 --seed 7', 'magnet paths --graph graph.json --json'),
    )
    .action(async (o: { graph: string; pool?: string[]; n: number; seed: number; json?: boolean }) => {
      await printPaths(o);
    });

  magnet
    .command('worker')
    .description("an extra worker process for one run's task queues, or for a shared queue")
    .option('--run <id>', "work on this run (its own task queues and its config's LLM providers)")
    .addOption(
      new Option(
        '--task-queue <name>',
        'work on a shared task queue (runs started with --task-queue or MAGNET_TASK_QUEUE)',
      ).conflicts('run'),
    )
    .addOption(
      new Option('--config <file>', 'with --task-queue: serve the LLM providers of this config').conflicts(
        'run',
      ),
    )
    .addHelpText(
      'after',
      examples(
        'magnet worker --run travel-v1',
        'TEMPORAL_ADDRESS=temporal.internal:7233 magnet worker --task-queue team-gpu --config my-run.json',
      ) +
        `\n\nEach run has its own task queues (magnet-<run id>, magnet-<run id>-llm-<provider>) unless it was started
with --task-queue: a worker serves exactly one run's queues or one shared queue, never another run's steps.`,
    )
    .action(async (o: { config?: string; run?: string; taskQueue?: string }) => {
      const shared = sharedTaskQueue(o.taskQueue);
      // a worker without its keys would fail every LLM step it takes: checked before connecting
      let config = o.config
        ? (await loadConfig(o.config)).config
        : RunConfig.parse({ pool: '.', conversations: 1 });
      checkKeys(config);
      if (!o.run && !shared)
        throw new ConfigError(
          'magnet worker: name the run to work on (--run ID) or a shared queue (--task-queue Q or MAGNET_TASK_QUEUE)',
        );
      const { client, server } = await connect({ startLocal: true });
      let taskQueue = shared;
      if (o.run) {
        const input = await runInputOf(client, o.run);
        config = input.config;
        taskQueue = input.taskQueue;
        checkKeys(config);
      }
      await client.connection.close();
      const workers = await createWorkers({ address: server.address, config, taskQueue });
      console.log(`magnet worker on ${server.address}: ${workers.map((w) => w.taskQueue).join(', ')}`);
      await Promise.all(workers.map((w) => w.worker.run()));
    });

  const server = magnet
    .command('server')
    .description('the local Temporal dev server (database in $MAGNET_HOME/temporal)')
    .helpCommand(false)
    .addHelpText('after', examples('magnet server start', 'magnet server status', 'magnet server stop'));
  server
    .command('start')
    .description('start the local dev server in the background (returns at once if it runs)')
    .addHelpText('after', examples('magnet server start', 'MAGNET_TEMPORAL_PORT=7300 magnet server start'))
    .action(async () => {
      const s = await startLocalServer();
      console.log(`Temporal dev server running: ${s.address} (pid ${s.pid}), UI ${s.uiUrl}, db ${s.dbFile}`);
    });
  server
    .command('stop')
    .description('stop the local dev server (its database stays)')
    .addHelpText('after', examples('magnet server stop'))
    .action(async () => {
      console.log((await stopLocalServer()) ? 'stopped' : 'not running');
    });
  server
    .command('status')
    .description('whether the local dev server runs (exit 0) or not (exit 1), and where')
    .addHelpText('after', examples('magnet server status'))
    .action(async () => {
      const s = await localServerStatus();
      console.log(
        s.running ? `running: ${s.address} (pid ${s.pid}), UI ${s.uiUrl}, db ${s.dbFile}` : 'not running',
      );
      result.code = s.running ? 0 : 1;
    });

  magnet
    .command('help')
    .description('show help for magnet or one of its commands')
    .argument('[command...]', 'e.g. "retry" or "server start"')
    .addHelpText('after', examples('magnet help', 'magnet help retry', 'magnet help server start'))
    .action((names: string[]) => {
      let cmd = magnet;
      for (const name of names) {
        const sub = subcommand(cmd, name);
        if (!sub) throw new ConfigError(`unknown command "${names.join(' ')}" (see magnet help)`);
        cmd = sub;
      }
      cmd.outputHelp();
    });

  return magnet;
}

/** Runs one command line; resolves to the exit code, throws (for the bin to print in one line) on errors. */
export async function main(argv: string[]): Promise<number> {
  const result = { code: 0 };
  const magnet = program(result);
  if (argv.length === 0) {
    magnet.outputHelp();
    return 2;
  }
  try {
    await magnet.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    // help asked for: 0; help shown because a command was incomplete (e.g. "magnet server"): usage, 2
    if (e.exitCode === 0) return 0;
    if (e.code === 'commander.help') return 2;
    const command = subcommand(magnet, argv[0]);
    throw new ConfigError(
      `${e.message
        .replace(/^error: /, '')
        .split('\n')
        .join(' ')} (see magnet ${command ? `${argv[0]} --help` : 'help'})`,
    );
  }
  return result.code;
}
