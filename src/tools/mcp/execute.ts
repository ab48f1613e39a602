import { McpError, ErrorCode, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ToolSource } from '../../core/pool';
import type { CallContext } from '../safe';
import { ToolError, type ExecScope, type Json } from '../types';
import { DEFAULT_ATTEMPT_MS, type McpInstance } from './connect';
import { toolOutput } from './output';
import { callInScope, type Attempt } from './sessions';

/** A failure of the server rather than of the call: it crashed, closed, hung, or is gone. */
function isServerFailure(e: unknown): boolean {
  if (e instanceof ToolError) return false;
  if (e instanceof McpError)
    return (
      e.code === (ErrorCode.ConnectionClosed as number) || e.code === (ErrorCode.RequestTimeout as number)
    );
  return true;
}

/**
 * One call on an instance; protocol errors the server answers (unknown tool, bad arguments) are tool errors.
 * `attempt`: how long this try may take (default: the instance's own cap) and the signal that gives it up.
 */
async function execute(
  instance: McpInstance,
  tool: string,
  args: Record<string, unknown>,
  attempt: Attempt = {},
): Promise<Json> {
  if (!instance.alive()) throw new McpError(ErrorCode.ConnectionClosed, 'the server is not running');
  let result: CallToolResult;
  try {
    result = (await instance.client.callTool({ name: tool, arguments: args }, undefined, {
      timeout: attempt.timeoutMs ?? instance.timeoutMs ?? DEFAULT_ATTEMPT_MS,
      ...(attempt.signal ? { signal: attempt.signal } : {}),
    })) as CallToolResult;
  } catch (e) {
    if (e instanceof McpError && !isServerFailure(e)) throw new ToolError(e.message);
    throw e;
  }
  return toolOutput(result);
}

/**
 * Executes `tool` of the MCP server `source` in the conversation scope `scope` (its own server process or
 * session, rebuilt from `scope.history` when this worker has none for it). The tool's `isError` results
 * and refused calls are ToolErrors (tool errors in the record). `ctx`: the call's one time limit (safeCall),
 * which every attempt, restart and rebuild of the call shares.
 */
export function callMcp(
  source: ToolSource,
  tool: string,
  args: Record<string, unknown>,
  scope: ExecScope,
  /** An observation: a read-only call the conversation's state does not record (see tools/observe). */
  readOnly = false,
  ctx?: Pick<CallContext, 'signal' | 'deadline'>,
): Promise<Json> {
  return callInScope(source, scope, tool, args, { execute, isServerFailure, readOnly, time: ctx });
}

export { execute as executeOnInstance };
