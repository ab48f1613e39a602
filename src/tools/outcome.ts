import type { Json } from './types';

/**
 * How a call ended, as the record says: `ok`, or `tool_error` (the tool answered that the call failed). A
 * third kind, infrastructure (the tool did not answer), is never recorded: it is an InfrastructureError.
 */
export type CallOutcome = 'ok' | 'tool_error';

function text(v: Json | undefined): string {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && !Array.isArray(v) && typeof v.message === 'string') return v.message;
  return JSON.stringify(v);
}

/**
 * The error an output reports at its top level, or undefined. Many tools answer a failed call with a normal
 * result holding an error object (`{"error": "Tweet 150 not found"}`, `{"success": false,
 * "message": ...}`) rather than an MCP `isError` or an HTTP status; counting those as
 * successes exported failures as clean data. Only the top level counts: an `error` field of a listed item is
 * data.
 */
export function errorInOutput(output: Json): string | undefined {
  if (!output || typeof output !== 'object' || Array.isArray(output)) return undefined;
  const o = output;
  const e = o.error ?? o.error_message ?? o.errorMessage;
  if (e !== undefined && e !== null && e !== false && e !== '') return text(e);
  if (o.isError === true) return text(o.message ?? o.content ?? 'the tool reported an error');
  // a `status` field is left alone: `{"status": "failed"}` is what a job-status tool answers successfully
  if (o.success === false || o.ok === false)
    return text(o.message ?? o.reason ?? o.detail ?? 'the tool reported a failure');
  return undefined;
}
