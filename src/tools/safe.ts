import { ToolError, type Json } from './types';

/** How long one call of an outside tool may take, and how big its output may be (JSON text). */
export const CALL_TIMEOUT_MS = 60_000;
export const MAX_OUTPUT_BYTES = 1_000_000;

/**
 * Runs a call of a tool magnet does not control. A tool that throws, hangs or answers megabytes becomes a
 * tool error in the record (ToolError), never a crashed or stalled worker.
 */
export async function safeCall(
  fn: () => Promise<Json>,
  limits: { timeoutMs?: number; maxOutputBytes?: number } = {},
): Promise<Json> {
  const timeoutMs = limits.timeoutMs ?? CALL_TIMEOUT_MS;
  const maxBytes = limits.maxOutputBytes ?? MAX_OUTPUT_BYTES;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ToolError(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    const output = await Promise.race([fn(), timeout]);
    const size = Buffer.byteLength(JSON.stringify(output) ?? 'null');
    if (size > maxBytes) throw new ToolError(`output of ${size} bytes is over the ${maxBytes}-byte limit`);
    return output;
  } catch (e) {
    if (e instanceof ToolError) throw e;
    throw new ToolError(`the tool failed: ${(e as Error).message ?? String(e)}`);
  } finally {
    clearTimeout(timer);
  }
}
