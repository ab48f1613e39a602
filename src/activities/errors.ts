import { ApplicationFailure } from '@temporalio/activity';
import { FailureType } from '../core/failures';
import { PoolError } from '../core/pool';
import { ConfigError } from '../io/config-file';
import { TranslationError } from '../llm/offline';

function nonRetryableType(e: unknown): FailureType | undefined {
  if (e instanceof PoolError) return FailureType.PoolError;
  if (e instanceof ConfigError) return FailureType.ConfigError;
  if (e instanceof TranslationError) return FailureType.TranslationError;
  return undefined;
}

/**
 * Turns errors that retrying cannot fix (bad input, untranslatable turn) into non-retryable failures with
 * a type the workflow and `magnet status` can group by; everything else is left to the retry policy.
 */
export async function nonRetryableOn<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const type = nonRetryableType(e);
    if (type) throw ApplicationFailure.create({ message: (e as Error).message, type, nonRetryable: true });
    throw e;
  }
}
