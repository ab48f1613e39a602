/**
 * A failed fetch in words ("connection refused", "host api.example.com not found", "no answer within 6 s")
 * rather than undici's "fetch failed", which is all a user would otherwise read: the system error sits in the
 * error's `cause` (an AggregateError's `errors` when every address of a host refused). One wording for every
 * place that probes or fetches over HTTP: the LLM providers' check, the tool preflight, OpenAPI documents.
 */
export interface FetchFailure {
  /** `TimeoutError`, or the system error code (ECONNREFUSED, ENOTFOUND...), when there is one. */
  code?: string;
  reason: string;
}

type ErrorLike = { name?: string; code?: string; message?: string; cause?: unknown; errors?: ErrorLike[] };

export function fetchFailure(e: unknown, timeoutMs: number, url?: string): FetchFailure {
  let err = e as ErrorLike | undefined;
  // an AbortSignal.timeout() abort is a DOMException named TimeoutError (its numeric code means nothing here)
  const timedOut = (x: ErrorLike | undefined): boolean =>
    x?.name === 'TimeoutError' || x?.name === 'AbortError';
  if (timedOut(err)) return { code: 'TimeoutError', reason: `no answer within ${timeoutMs / 1000} s` };
  while (err?.cause && typeof err.cause === 'object') err = err.cause as ErrorLike;
  if (timedOut(err)) return { code: 'TimeoutError', reason: `no answer within ${timeoutMs / 1000} s` };
  const code = err?.code ?? err?.errors?.[0]?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return { code, reason: 'connection refused' };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return { code, reason: url ? `host ${new URL(url).hostname} not found` : 'host not found' };
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return { code, reason: 'the connection was reset' };
    default:
      return { ...(code ? { code } : {}), reason: `${code ? `${code}: ` : ''}${err?.message ?? String(e)}` };
  }
}
