import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { FailureType } from '../core/failures';
import { PoolError } from '../core/pool';
import { ConfigError } from '../io/config-file';
import { TranslationError } from '../roles/context';
import { InfrastructureError } from '../tools/types';

function nonRetryableType(e: unknown): FailureType | undefined {
  if (e instanceof PoolError) return FailureType.PoolError;
  if (e instanceof ConfigError) return FailureType.ConfigError;
  if (e instanceof TranslationError) return FailureType.TranslationError;
  return undefined;
}

/**
 * Attempts an error nobody classified gets. LLM steps retry without an attempt cap until their deadline,
 * which suits a provider's transient errors (classified as retryable by the LLM client); an unexpected error
 * (a bug, a broken tool) would otherwise be retried for hours.
 */
export const UNEXPECTED_ERROR_ATTEMPTS = 10;

function attempt(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1;
  }
}

/**
 * Turns errors that retrying cannot fix (bad input, untranslatable turn) into non-retryable failures with
 * a type the workflow and `magnet status` can group by, and gives up on an unclassified error after
 * UNEXPECTED_ERROR_ATTEMPTS; classified failures (a provider's 429, 5xx...) are left to the retry policy.
 */
export async function nonRetryableOn<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    // a tool's server or service failed: retried by the step's policy, then the conversation waits
    if (e instanceof InfrastructureError)
      throw ApplicationFailure.retryable(e.message, FailureType.ToolUnavailable);
    const type = nonRetryableType(e);
    if (type) throw ApplicationFailure.create({ message: (e as Error).message, type, nonRetryable: true });
    const classified = e instanceof ApplicationFailure || e instanceof CancelledFailure;
    const attempts = attempt();
    if (!classified && attempts >= UNEXPECTED_ERROR_ATTEMPTS)
      throw ApplicationFailure.create({
        message: `${e instanceof Error ? e.message : String(e)} (gave up after ${attempts} attempts)`,
        type: FailureType.UnexpectedError,
        nonRetryable: true,
      });
    throw e;
  }
}
