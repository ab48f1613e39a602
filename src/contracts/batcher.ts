import { defineQuery, defineSignal } from '@temporalio/workflow';
import { z } from 'zod';
import { BatchSettings, LlmRole, Price } from '../core/config';

/** The workflow type of a run's batcher for one provider (batch mode, src/llm/batch.ts starts it). */
export const BATCHER_WORKFLOW = 'batcher';
/** Collects a run's batch-mode requests for one provider, submits them as batches and writes the answers. */
export type BatcherWorkflow = (input: BatcherInput) => Promise<void>;

/** One request of a step waiting for a batch, as signalled to the batcher: no body (it is on disk), no key. */
export const BatchItem = z.object({
  /** The request's cache key (sha256 hex): custom_id in the batch file, file name of its body and result. */
  key: z.string().regex(/^[0-9a-f]{64}$/),
  role: LlmRole,
  model: z.string(),
  price: Price.optional(),
});
export type BatchItem = z.infer<typeof BatchItem>;

/**
 * What the batcher of one run and provider needs (never a key: only the name of its variable). Request
 * bodies and results are files under `cacheDir`, so the workflow's history holds only keys.
 */
export interface BatcherInput {
  runId: string;
  providerName: string;
  baseURL?: string;
  apiKeyEnv: string;
  timeoutMs: number;
  cacheDir: string;
  ledgerFile: string;
  /** Task queue of the batcher's activities. */
  activityQueue: string;
  settings: BatchSettings;
  /** State carried over a continue-as-new. */
  carry?: BatcherCarry;
}

/** An item with the number of batches it was sent in. */
export interface PendingItem {
  item: BatchItem;
  attempts: number;
}

export interface InFlightBatch {
  batchId: string;
  items: PendingItem[];
  status: string;
}

export interface BatcherCarry {
  pending: PendingItem[];
  inFlight: InFlightBatch[];
  /** Submissions so far (names each submission, so a retried submit finds the batch it created). */
  submissions: number;
}

/** The endpoint part of the batcher's input, which its activities receive. */
export type BatchEndpoint = Omit<BatcherInput, 'carry' | 'settings' | 'activityQueue'>;

/** How a batch ended for its items (a poll of a batch still running has no outcome). */
export interface BatchPoll {
  status: string;
  counts?: { total: number; completed: number; failed: number };
  /** Set when the batch has ended: the items answered and those to send again or to fail. */
  outcome?: { answered: string[]; failed: { key: string; error: string }[] };
}

/** A step of a role in batch mode asks for its request (by key; the body is on disk). */
export const batchRequestSignal = defineSignal<[BatchItem]>('batchRequest');

export interface BatcherStatus {
  pending: number;
  inFlight: { batchId: string; requests: number; status: string }[];
  submissions: number;
}
export const batcherStatusQuery = defineQuery<BatcherStatus>('batcherStatus');
