import type { Command } from 'commander';
import { DEFAULT_SPLIT, EXPORT_FORMATS } from '../../export/formats';
import { exportRun, shareOf, type ExportRunOptions } from '../export';
import { examples } from '../help-text';
import { nonNegativeInt, repeatableOption, typedOption } from '../options';

/** `magnet export <run> --format F`: a run's conversations as training and evaluation files. */
export function exportCommand(program: Command): void {
  program
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
}
