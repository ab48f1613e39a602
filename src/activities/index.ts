export * from './pool';
export * from './graph-build';
export * from './conversation';
export * from './export';
export * from './negatives';
export * from './batch';
export * from './observe';
