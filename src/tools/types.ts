import { z } from 'zod';
import type { DrawnState } from '../core/environment';

/** JSON value; tool state and outputs must survive a round trip through JSON (they are stored). */
export type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

export const ToolCall = z.object({
  id: z.string(),
  name: z.string(),
  arguments: z.record(z.string(), z.unknown()),
});
export type ToolCall = z.infer<typeof ToolCall>;

export interface ToolResult {
  output: Json;
  /** The tool set's state after the call; carried to the conversation's next call. */
  state: Json;
}

/**
 * A built-in stateful tool set: deterministic TypeScript implementations of a pool category.
 * `call` must be pure given (state, name, args): no clock, no randomness other than the state's own seed,
 * so executing a turn twice (activity retry, replay) gives the same outputs.
 */
export interface ToolSet {
  /** Category name, equal to the example pool file's category. */
  name: string;
  /** Function names this set implements. */
  functions: string[];
  initialState(seed: number): Json;
  /** Throws ToolError for a call that the real tool would reject (bad id, insufficient funds...). */
  call(state: Json, name: string, args: Record<string, unknown>): ToolResult;
  /**
   * Values a user could sensibly give for parameters, by parameter name, in the given state: existing
   * file paths, user names, card ids, symbols... The offline generator picks user-provided values from
   * here, so its calls refer to things that exist. Only list values that make the call succeed.
   */
  valueHints?(state: Json): Record<string, Json[]>;
}

/** A failure the tool itself reports (the conversation records it as the tool's output). */
export class ToolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolError';
  }
}

/**
 * A failure of where a tool runs, not of the call: a server that crashed or hung, a connection refused, an
 * answer over the size cap, a service that says it is unavailable. Never data: a dataset that records it
 * teaches a model that tools fail at random. The step fails (Temporal retries it, then the conversation
 * waits for `magnet retry`) and its message names the source.
 */
export class InfrastructureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InfrastructureError';
  }
}

/**
 * What an executor that keeps state outside magnet (an MCP server) needs to keep conversations apart and to
 * rebuild a conversation's state for a retried turn.
 */
export interface ExecScope {
  /** One conversation (or one negative sample of it): calls of different scopes never share state. */
  key: string;
  /**
   * Each stateful source's drawn state and setup calls (core/environment's drawStates): a fresh instance
   * starts from it, so every rebuild of the conversation starts where its first did.
   */
  environment?: Readonly<Record<string, DrawnState>>;
  /** The conversation's calls before this turn, in order, as recorded. */
  history: readonly { name: string; arguments: Record<string, unknown>; output: unknown; error?: string }[];
  /**
   * Set by an executor that had no live state for the scope (a retried turn, another worker after a crash)
   * and rebuilt it by executing the history again: the record says so on the next call.
   */
  rebuilt?: ScopeRebuild[];
}

/** A scope's state rebuilt on a fresh server: how many recorded calls ran again, and where answers differed. */
export interface ScopeRebuild {
  source: string;
  calls: number;
  differences: string[];
}
