/**
 * Every failure type an activity reports (ApplicationFailure `type`). Retry policies, `magnet status` and
 * failure records group by these names, and recorded workflow histories hold them: a value never changes.
 */
export const FailureType = {
  PoolError: 'PoolError',
  ConfigError: 'ConfigError',
  TranslationError: 'TranslationError',
  LlmInvalidOutput: 'LlmInvalidOutput',
  LlmRejected: 'LlmRejected',
  LlmRateLimited: 'LlmRateLimited',
  LlmUnavailable: 'LlmUnavailable',
  /** A record's call that does not fit its tool (not offered, an argument missing or mistyped, no result). */
  InvalidCall: 'InvalidCall',
  /**
   * A tool's server or service failed (crashed, hung, refused the connection, answered too much): retried,
   * then the conversation waits for `magnet retry`; the message names the source.
   */
  ToolUnavailable: 'ToolUnavailable',
  /** An error nobody classified, still failing after several attempts. */
  UnexpectedError: 'UnexpectedError',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/** Bad input or an untranslatable turn: retrying local work cannot fix it. */
export const NON_RETRYABLE: readonly FailureType[] = [
  FailureType.PoolError,
  FailureType.ConfigError,
  FailureType.TranslationError,
  FailureType.InvalidCall,
];

/** LLM steps also give up on an answer still invalid after its repair and on a request the provider refused. */
export const NON_RETRYABLE_LLM: readonly FailureType[] = [
  ...NON_RETRYABLE,
  FailureType.LlmInvalidOutput,
  FailureType.LlmRejected,
];

/**
 * A check made before any workflow starts failed (a provider's key or endpoint, a pool's MCP server or
 * OpenAPI service); the message is one line saying what to fix.
 */
export class PreflightError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PreflightError';
  }
}
