import { Option, type Command } from 'commander';
import { printPaths } from '../paths';
import { examples } from '../help-text';
import { nonNegativeInt, positiveInt, repeatableOption, typedOption } from '../options';

/** `magnet paths --graph G`: function-signature paths sampled from a graph, with their turns. */
export function pathsCommand(program: Command): void {
  program
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
}
