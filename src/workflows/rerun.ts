import { executeChild, ParentClosePolicy, workflowInfo } from '@temporalio/workflow';
import { addUsage, NO_USAGE, type Usage } from '../core/usage';
import { conversation } from './conversation';
import { plannedOf } from '../core/mix';
import { runQueue } from './proxies';
import { MagnetRun, MagnetStatus, type RerunInput, type RerunResult, applyOverrides } from '../contracts';

/**
 * `magnet rerun <run> --failed`: conversations that ended failed (their wait for a retry ran out) get a new
 * execution with the same id and input, so the same requests are sent: every answer already paid comes from
 * the response cache, and only the failed step and what follows costs anything. Then the run's exports are
 * written again with the new records and the counts corrected.
 */
export async function rerunConversations(input: RerunInput): Promise<RerunResult> {
  const results: RerunResult['rerun'] = [];
  let usage: Usage = input.before.usage ?? NO_USAGE;
  const failures = { ...input.before.failures };
  let failed = input.before.failed;
  const queue = input.conversations.slice();
  const lane = async (): Promise<void> => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const c = next.input;
      const r = await executeChild(conversation, {
        workflowId: c.id,
        staticSummary: `rerun of conversation ${c.index + 1} (by ${workflowInfo().workflowId})`,
        parentClosePolicy: ParentClosePolicy.TERMINATE,
        memo: { run: input.runId, index: c.index, rerun: true },
        ...(c.searchAttributes
          ? {
              typedSearchAttributes: [
                { key: MagnetRun, value: input.runId },
                { key: MagnetStatus, value: 'running' },
              ],
            }
          : {}),
        args: [{ ...c, roles: applyOverrides(c.roles, input.set ?? {}) }],
      });
      usage = addUsage(usage, r.usage);
      results.push({ id: c.id, status: r.status, failure: r.failure });
      // the run counted this conversation under its old failure type; it now counts as it ended
      const old = next.failureType;
      if ((failures[old] ?? 0) > 0) failures[old] = (failures[old] as number) - 1;
      if (failures[old] === 0) delete failures[old];
      if (r.status === 'completed') failed--;
      else {
        const type = r.failure?.type ?? 'unknown';
        failures[type] = (failures[type] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, input.concurrency) }, lane));
  const summary = await runQueue.exportRunActivity.executeWithOptions(
    { summary: 'export datasets and report (after rerun)' },
    [
      {
        runId: input.runId,
        outDir: input.outDir,
        storeDir: input.storeDir,
        poolRef: input.poolRef,
        failed: Math.max(0, failed),
        failures,
        usage,
        // the run's planned mix, so the summary after the rerun sets the records beside it again
        ...(input.before.mix ? { mix: plannedOf(input.before.mix) } : {}),
      },
    ],
  );
  return { summary, rerun: results.sort((a, b) => (a.id < b.id ? -1 : 1)) };
}
