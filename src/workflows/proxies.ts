import { proxyActivities } from '@temporalio/workflow';
import type * as activities from '../activities';

/** Local, cheap work (files, planning, offline generation): short timeouts, a few quick retries. */
export const local = proxyActivities<typeof activities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
});

/** Steps that will call LLMs (translation, judging, distillation): longer timeouts and more patience. */
export const llm = proxyActivities<typeof activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '2 minutes',
  retry: {
    initialInterval: '2s',
    backoffCoefficient: 2,
    maximumInterval: '2 minutes',
    maximumAttempts: 8,
    nonRetryableErrorTypes: ['PoolError', 'ConfigError', 'TranslationError'],
  },
});
