/**
 * Workflow ids: derived from the run id, so a step is never started twice for one item, and any process can
 * find a run's parts without asking the run.
 */

/** The conversation (child workflow) of item `index` of a run. */
export function conversationId(runId: string, index: number): string {
  return `${runId}/conv-${String(index).padStart(5, '0')}`;
}

/** The dependency graph's child workflow of a run. */
export function graphWorkflowId(runId: string): string {
  return `${runId}/graph`;
}

/** The batcher of a run for a provider (one per run and provider). */
export function batcherId(runId: string, providerName: string): string {
  return `${runId}/batch/${providerName}`;
}

/** The run a step belongs to, from its workflow id (`<run>/conv-N`, `<run>/graph`, or the run itself). */
export function runOfWorkflow(workflowId: string): string {
  return /^(.+)\/(?:conv-\d+|graph)$/.exec(workflowId)?.[1] ?? workflowId;
}
