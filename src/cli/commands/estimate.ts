import { Option, type Command } from 'commander';
import { estimateRun } from '../../estimate/estimate';
import { formatEstimate, rateOf } from '../estimate';
import { examples } from '../help-text';
import { positiveInt, typedOption } from '../options';
import { prepareRun } from '../run';

interface EstimateOptions {
  config: string;
  conversations?: number;
  sample?: number;
  studentErrorRate?: number;
  json?: boolean;
}

/** `magnet estimate --config C`: what a run of C would cost, without calling any model. */
export function estimateCommand(program: Command): void {
  program
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
    .action(async (o: EstimateOptions) => {
      const input = await prepareRun(o.config, { conversations: o.conversations, runId: 'estimate' });
      const e = await estimateRun(input, { sample: o.sample, studentErrorRate: o.studentErrorRate });
      console.log(o.json ? JSON.stringify(e, null, 2) : formatEstimate(e));
    });
}
