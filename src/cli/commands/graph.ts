import { Option, type Command } from 'commander';
import { ConfigError } from '../../io/config-file';
import { buildGraphFile, buildGraphWithConfig } from '../graph-build';
import { drawGraphFile, evalGraphFile, showGraphFunction } from '../graph-inspect';
import { examples } from '../help-text';
import { positiveInt, repeatableOption, typedOption } from '../options';

interface GraphOptions {
  pool?: string[];
  config?: string;
  out?: string;
  dot?: string;
  html?: string;
  category?: string;
  maxCandidates?: number;
  cache: boolean;
  preflight: boolean;
}

/** `magnet graph`: build a pool's dependency graph; `graph eval|show|draw` look at a graph file. */
export function graphCommand(program: Command): void {
  const graph = program
    .command('graph')
    // `graph --html F` builds and draws; `graph draw G --html F` draws a file: an option after a subcommand
    // is the subcommand's (else the parent took --html and draw said it was missing)
    .enablePositionalOptions()
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
    .action(async (o: GraphOptions) => {
      const out = o.out;
      if (!out) throw new ConfigError('magnet graph: --out <file> is required');
      if (o.config) await buildGraphWithConfig({ ...o, out, config: o.config });
      else if (o.pool) await buildGraphFile({ ...o, out, pool: o.pool });
      else throw new ConfigError('magnet graph: --pool or --config is required');
    });
  graphEvalCommand(graph);
  graphShowCommand(graph);
  graphDrawCommand(graph);
}

function graphEvalCommand(graph: Command): void {
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
}

function graphShowCommand(graph: Command): void {
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
}

function graphDrawCommand(graph: Command): void {
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
}
