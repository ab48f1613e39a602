import { defineSignal } from '@temporalio/workflow';
import type { ConversationResult } from './conversation';

/** A conversation tells its run when it starts or stops waiting for a replay, so progress can count them. */
export const conversationWaitingSignal =
  defineSignal<[{ index: number; waiting: boolean }]>('conversationWaiting');

/**
 * A conversation that has waited for a replay reports its end to the run: if the run continued as new in
 * the meantime, the current execution is not its parent and learns the result only this way.
 */
export const conversationFinishedSignal =
  defineSignal<[{ index: number; result: ConversationResult }]>('conversationFinished');
