import { defineSignal } from '@temporalio/workflow';

/** A conversation tells its run when it starts or stops waiting for a replay, so progress can count them. */
export const conversationWaitingSignal =
  defineSignal<[{ index: number; waiting: boolean }]>('conversationWaiting');
