export * from './run';
export * from './conversation';
export * from './graph';
export * from './batcher';
export * from './rerun';
