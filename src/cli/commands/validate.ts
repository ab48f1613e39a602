import type { Command } from 'commander';
import { VALIDATE_FORMATS } from '../../export/formats';
import type { ExitCode } from '../exit-code';
import { examples } from '../help-text';
import { printValidation, validatePath } from '../validate';

/** `magnet validate <file>`: an exported file checked against its format. */
export function validateCommand(program: Command, exit: ExitCode): void {
  program
    .command('validate')
    .description(
      "check an exported file, an export folder (every data file) or a run's records; exit 1 naming the lines",
    )
    .argument('<path>', 'a data file, an export folder (or one format in it), a run folder')
    .option('--format <f>', `${VALIDATE_FORMATS.join(', ')} (default: sniffed from the first row)`)
    .addHelpText(
      'after',
      examples(
        'magnet validate runs/travel-v1/export/trl/sft-train.jsonl',
        'magnet validate out.jsonl --format openai',
        'magnet validate runs/travel-v1/export',
      ) +
        `\n\nChecks: calls name offered tools, arguments parse and match the tool's JSON schema, every call has its
result, roles come in an order the format allows (OpenAI's keys; LLaMA-Factory's ShareGPT positions).`,
    )
    .action(async (file: string, o: { format?: string }) => {
      const problems = printValidation(await validatePath(file, o.format));
      exit.code = problems > 0 ? 1 : 0;
    });
}
