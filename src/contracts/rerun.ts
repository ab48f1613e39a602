import type { ConversationInput, ConversationResult } from './conversation';
import type { RunSummary } from './run';

/** The workflow type of `magnet rerun <run> --failed`. */
export const RERUN_WORKFLOW = 'rerunConversations';
export type RerunWorkflow = (input: RerunInput) => Promise<RerunResult>;

export interface RerunInput {
  runId: string;
  outDir: string;
  storeDir: string;
  poolRef: string;
  /** The failed conversations: the input of each one's failed execution and the failure type it ended with. */
  conversations: { input: ConversationInput; failureType: string }[];
  /** What the run reported at its end: the failures the rerun may turn into records. */
  before: Pick<RunSummary, 'failed' | 'failures' | 'usage' | 'mix'>;
  /** `role.field` -> value overrides for every rerun conversation (as `magnet retry --set`). */
  set?: Record<string, string>;
  concurrency: number;
}

export interface RerunResult {
  summary: RunSummary;
  rerun: { id: string; status: ConversationResult['status']; failure?: ConversationResult['failure'] }[];
}
