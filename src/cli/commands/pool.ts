import path from 'node:path';
import { Argument, type Command } from 'commander';
import { ConfigError, loadConfig } from '../../io/config-file';
import { writeAtomic } from '../../io/files';
import { resolvePoolPath } from '../../io/pool-paths';
import { loadPool, STDIN } from '../../tools/pool-loader';
import { resolvePoolEntries } from '../../tools/sources';
import { examples } from '../help-text';
import { builtinPoolText, formatInspection, inspectPool, inspectWarnings } from '../pool';

/** `magnet pool inspect` and `magnet pool export`: look at a function pool, write the built-in one. */
export function poolCommand(program: Command): void {
  const pool = program
    .command('pool')
    .description('look at a function pool: who executes each function, where it came from')
    .helpCommand(false)
    .addHelpText(
      'after',
      examples(
        'magnet pool inspect examples/pool my-tools.yaml',
        'magnet pool export builtin --out builtin.json',
      ),
    );
  poolInspectCommand(pool);
  poolExportCommand(pool);
}

function poolInspectCommand(pool: Command): void {
  pool
    .command('inspect')
    .description(
      'list the functions in a table: category, executor, real (builtin, mcp, http) or simulated outputs, output schema (declared, inferred, none), state (per conversation, shared, per session), source, and the original of a name renamed for providers',
    )
    .argument(
      '[sources...]',
      'pool files or folders; "builtin" or "builtin:<category>" for the built-in pool; "-" for standard input',
    )
    .option(
      '--config <file>',
      'also the pool of a run config (files, folders, MCP servers, OpenAPI documents)',
    )
    .option('--json', 'one JSON array of the functions (the same facts; warnings on standard error)')
    .addHelpText(
      'after',
      examples(
        'magnet pool inspect examples/pool',
        'magnet pool inspect builtin:travel my-tools.yaml',
        'magnet pool inspect --config my-run.json --json',
        'my-mcp-server < list-tools.jsonl | magnet pool inspect -',
      ),
    )
    .action(async (sources: string[], o: { config?: string; json?: boolean }) => {
      // `-`: a tool file or an MCP server's output piped in
      const paths = sources.map((s) => (s === STDIN ? s : resolvePoolPath(s)));
      const entries = {
        poolPaths: paths,
        poolSources: [] as ReturnType<typeof resolvePoolEntries>['poolSources'],
      };
      if (o.config) {
        const { config, baseDir } = await loadConfig(o.config);
        const fromConfig = resolvePoolEntries(config.pool, baseDir, o.config);
        entries.poolPaths.push(...fromConfig.poolPaths);
        entries.poolSources.push(...fromConfig.poolSources);
      }
      if (entries.poolPaths.length === 0 && entries.poolSources.length === 0)
        throw new ConfigError('magnet pool inspect: name pool files or folders, or --config <file>');
      const loaded = await loadPool(entries.poolPaths, entries.poolSources);
      const fns = inspectPool(loaded);
      const warnings = inspectWarnings(loaded);
      if (!o.json) console.log(formatInspection(fns, warnings));
      else {
        // the JSON stays one parseable value on standard output; the warnings go to standard error
        console.log(JSON.stringify(fns, null, 2));
        for (const w of warnings) console.error(w);
      }
    });
}

function poolExportCommand(pool: Command): void {
  pool
    .command('export')
    .description('write a pool magnet ships (the built-in pool: loadable again, it runs built-in code)')
    .addArgument(new Argument('<what>', 'the pool to write').choices(['builtin']))
    .option('--out <file>', 'the file to write (default: standard output)')
    .addHelpText('after', examples('magnet pool export builtin --out builtin.json'))
    .action(async (_what: string, o: { out?: string }) => {
      const text = await builtinPoolText();
      if (o.out) {
        await writeAtomic(path.resolve(o.out), text);
        console.log(`wrote ${o.out}`);
      } else process.stdout.write(text);
    });
}
