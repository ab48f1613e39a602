export * from './pool';
export * from './graph';
export * from './conversation';
export * from './export';
export * from './negatives';
export * from './batch';
