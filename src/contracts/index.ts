/**
 * The workflow surface, shared by workflows and the processes that talk to them (client, CLI, worker, the
 * LLM batch client): workflow type names, ids, task queue names, signals, updates, queries, search attributes
 * and the input/result types. Nothing here runs I/O, so workflow code may import it.
 */
export * from './batcher';
export * from './conversation';
export * from './build-graph';
export * from './ids';
export * from './queues';
export * from './rerun';
export * from './run';
export * from './search-attributes';
