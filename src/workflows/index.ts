/**
 * The workflows the worker registers (every export of this file is a workflow type). Clients start them by
 * the names and signatures in src/contracts; the type check below keeps the two the same.
 */
import type {
  BatcherWorkflow,
  ConversationWorkflow,
  GraphWorkflow,
  RerunWorkflow,
  RunWorkflow,
} from '../contracts';
import { batcher } from './batcher';
import { conversation } from './conversation';
import { buildGraph } from './build-graph';
import { rerunConversations } from './rerun';
import { synthesisRun } from './run';

export { batcher, buildGraph, conversation, rerunConversations, synthesisRun };

type Implements<Contract, Impl extends Contract> = Impl;
export type ContractsHold = [
  Implements<RunWorkflow, typeof synthesisRun>,
  Implements<ConversationWorkflow, typeof conversation>,
  Implements<GraphWorkflow, typeof buildGraph>,
  Implements<RerunWorkflow, typeof rerunConversations>,
  Implements<BatcherWorkflow, typeof batcher>,
];
