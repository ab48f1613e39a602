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
 * Failures an error nobody classified gets before the step gives up. LLM steps retry without an attempt cap
 * until their deadline, which suits a provider's transient errors (classified as retryable by the LLM
 * client); an unexpected error (a bug, a broken tool) would otherwise be retried for hours.
 */
export const UNEXPECTED_ERROR_ATTEMPTS = 10;

/**
 * What an attempt leaves in its last heartbeat for the next one (Temporal hands a failed attempt's last
 * heartbeat details to the next attempt as `info.heartbeatDetails`): how many attempts so far failed with an
 * unexpected error. Other heartbeats ({waiting: ...}) carry none of it; only the one a failure sends does.
 */
interface Carried {
  unexpectedFailures?: number;
}

/**
 * How many earlier attempts of this step failed unexpectedly: carried from attempt to attempt in the
 * heartbeat details, so the 429s, 5xx and timeouts between them do not count. A local activity cannot
 * heartbeat, and retries only what fails locally: its attempt number counts. An attempt lost with its worker
 * (heartbeat timeout) carries nothing: the count starts again, which may allow more attempts, never fewer.
 */
function unexpectedBefore(ctx: Context | undefined): number {
  if (!ctx) return 0;
  if (ctx.info.isLocal) return ctx.info.attempt - 1;
  const carried = (ctx.info.heartbeatDetails as Carried | undefined)?.unexpectedFailures;
  return typeof carried === 'number' && Number.isFinite(carried) ? carried : 0;
}

function current(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/**
 * Turns errors that retrying cannot fix (bad input, untranslatable turn) into non-retryable failures with
 * a type the workflow and `magnet status` can group by, and gives up on an unclassified error when it is the
 * UNEXPECTED_ERROR_ATTEMPTS-th unexpected failure of the step (counted apart from its classified failures);
 * classified failures (a provider's 429, 5xx...) are left to the retry policy. The step that gives up waits
 * for `magnet retry` like any step that fails for good.
 */
export async function nonRetryableOn<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    // a tool's server or service failed: retried by the step's policy, then the conversation waits
    if (e instanceof InfrastructureError)
      throw carry(ApplicationFailure.retryable(e.message, FailureType.ToolUnavailable), false);
    const type = nonRetryableType(e);
    if (type) throw ApplicationFailure.create({ message: (e as Error).message, type, nonRetryable: true });
    const classified = e instanceof ApplicationFailure || e instanceof CancelledFailure;
    throw carry(e, !classified);
  }
}

/**
 * Carries the count of unexpected failures to the next attempt (in the heartbeat the failure sends), and
 * turns the unexpected error that reaches the cap into a final UnexpectedError.
 */
function carry(e: unknown, unexpected: boolean): unknown {
  const ctx = current();
  const failures = unexpectedBefore(ctx) + (unexpected ? 1 : 0);
  if (ctx && !ctx.info.isLocal && failures > 0)
    ctx.heartbeat({ unexpectedFailures: failures } satisfies Carried);
  if (!unexpected || failures < UNEXPECTED_ERROR_ATTEMPTS) return e;
  const attempt = ctx?.info.attempt ?? 1;
  return ApplicationFailure.create({
    message: `${e instanceof Error ? e.message : String(e)} (gave up after ${failures} unexpected failures${attempt > failures ? ` in ${attempt} attempts` : ''})`,
    type: FailureType.UnexpectedError,
    nonRetryable: true,
  });
}
