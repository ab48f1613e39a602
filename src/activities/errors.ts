import { ApplicationFailure } from '@temporalio/activity';
import { PoolError } from '../core/pool';
import { ConfigError } from '../io/config-file';
import { TranslationError } from '../llm/offline';

/**
 * Turns errors that retrying cannot fix (bad input, untranslatable turn) into non-retryable failures with
 * a type the workflow and `magnet status` can group by; everything else is left to the retry policy.
 */
export async function nonRetryableOn<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof PoolError || e instanceof ConfigError || e instanceof TranslationError) {
      throw ApplicationFailure.create({ message: e.message, type: e.name, nonRetryable: true });
    }
    throw e;
  }
}
