import { Option, type Command } from 'commander';
import { connect, startRerun } from '../../client';
import { checkKeys } from '../../llm/preflight';
import { createWorkers } from '../../worker';
import type { ExitCode } from '../exit-code';
import { examples } from '../help-text';
import { setOption } from '../options';
import { exitCodeOf, printSummary } from '../report';

/** `magnet rerun <run-id> --failed`: a new execution for each conversation that ended failed. */
export function rerunCommand(program: Command, exit: ExitCode): void {
  program
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
        console.log(`nothing to rerun: no conversation of ${runId} ended failed`);
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
      exit.code = exitCodeOf(summary);
    });
}
