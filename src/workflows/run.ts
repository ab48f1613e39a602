import { patched } from '@temporalio/workflow';
import { runRoles, type RunInput } from '../core/config';
import { mixCounts, mixOrder, type MixConfig } from '../core/mix';
import type { RunCarry, RunSummary } from '../contracts';
import { exportRun, fanOut, poolAndGraph, type RunPlan } from './run-phases';
import { RunState } from './run-state';

/**
 * The patch after which a run whose config has a mix makes items of every kind (single, parallel, multiple,
 * multi-turn, irrelevance); before it, and for inputs recorded by earlier releases (no mix), every item is a
 * multi-turn conversation.
 */
export const MIX_KINDS = 'mix-kinds';

/**
 * Children started per workflow execution before continuing as new, so the history stays small: about 3 KB and
 * 8 events per child, so 200 children keep a history near 600 KB and its replay (after the worker evicted the
 * run from its cache) short. 500 gave 1.5 MB and a 13 s workflow task, over the 10 s timeout, on 2 busy cores.
 * `continueAsNewEvery` in the config sets it.
 */
export const DEFAULT_BATCH = 200;
/** Before the patch; an execution of a run that started then keeps it (continue-as-new passes it on). */
const PREVIOUS_BATCH = 500;
/** The patch that made the run continue as new every DEFAULT_BATCH children (was PREVIOUS_BATCH). */
export const SMALLER_RUN_EXECUTIONS = 'run-continue-as-new-200';

/**
 * The run (parent): pool -> graph -> one child workflow per conversation (bounded in flight) -> export.
 * Conversation ids are `<run>/conv-<index>`, so a child is never started twice for one index; an execution
 * that continued as new gets `carry` (where the run is) and skips the pool and the graph.
 */
export async function synthesisRun(
  input: RunInput,
  carry?: RunCarry,
  batchArg?: number,
): Promise<RunSummary> {
  const plan = planRun(input, batchArg);
  const run = new RunState(input.runId, input.config.conversations, carry, plan.planned);
  run.begin(carry ?? (await poolAndGraph(plan, run)));
  run.progress.phase = 'conversations';
  await fanOut(plan, run);
  run.progress.phase = 'export';
  const summary = await exportRun(plan, run);
  run.progress.phase = 'done';
  run.progress.summary = summary;
  return summary;
}

/** What an execution decides at its start: its batch size, the roles, the kind of each item. */
function planRun(input: RunInput, batchArg: number | undefined): RunPlan {
  const { config } = input;
  // an execution that continued as new got its size from the first; a new run from its config or the default
  const batch =
    batchArg ??
    config.continueAsNewEvery ??
    (patched(SMALLER_RUN_EXECUTIONS) ? DEFAULT_BATCH : PREVIOUS_BATCH);
  const roles = runRoles(input);
  // a config of an earlier release has no mix (its recorded input replays as all multi-turn)
  const mixConfig = (config as { mix?: MixConfig }).mix;
  const mix =
    mixConfig && patched(MIX_KINDS) ? mixOrder(mixConfig, config.conversations, config.seed) : undefined;
  const planned = mixConfig && mix ? mixCounts(mixConfig, config.conversations) : undefined;
  return { input, roles, batch, ...(mix ? { mix } : {}), ...(planned ? { planned } : {}) };
}
