export * from './run';
export * from './conversation';
export * from './graph';
