import { classify, ProviderError } from './providers/provider';

/**
 * What a provider call's error that is not an HTTP error status says about the provider. Real providers (and
 * the proxies before them) sometimes answer 200 with a body that is cut, empty, not JSON or an HTML error page,
 * or drop the connection while the body, or a stream, is on its way. The SDKs then throw what their parsing
 * met: a SyntaxError ("Unterminated string in JSON at position 812", "Unexpected end of JSON input"), fetch's
 * TypeError "terminated" (cause: "other side closed"), or, for a body that is no object, a TypeError reading
 * a field of it. Each is the provider's fault and transient, like a 5xx: retried by the step's policy.
 */

/** Error codes of a connection that failed or was cut (Node, undici), anywhere in an error's cause chain. */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

/** Messages of a connection or body cut short (undici's "terminated", Node's "socket hang up"...). */
const CUT_MESSAGE = /^(terminated|other side closed|socket hang up|premature close|fetch failed)$/i;

interface ErrorLike {
  name?: string;
  message?: string;
  code?: string;
  cause?: unknown;
}

function chain(e: unknown): ErrorLike[] {
  const out: ErrorLike[] = [];
  let err = e as ErrorLike | undefined;
  while (err && typeof err === 'object' && out.length < 10) {
    out.push(err);
    err = err.cause as ErrorLike | undefined;
  }
  return out;
}

/** The first line of what went wrong, with the deepest network code when there is one. */
function said(errors: ErrorLike[]): string {
  const top = errors[0];
  const code = errors.map((x) => x.code).find((c) => c && NETWORK_CODES.has(c));
  const deepest = errors.at(-1);
  const detail = deepest && deepest !== top && deepest.message ? ` (${deepest.message})` : '';
  return `${top?.message ?? String(top)}${detail}${code && !detail.includes(code) ? ` [${code}]` : ''}`;
}

/**
 * `e`, thrown by a provider call, as the provider's fault: a ProviderError as it is; a body that was cut, empty
 * or not JSON, or a connection cut mid-answer, as a transient ProviderError (no HTTP status: retried like a
 * 5xx). Undefined for anything else: an error of our own code stays unexpected (src/activities/errors.ts caps
 * its attempts).
 */
export function answerFault(providerName: string, e: unknown): ProviderError | undefined {
  if (e instanceof ProviderError) return e;
  const errors = chain(e);
  const top = errors[0];
  if (!top) return undefined;
  const message = top.message ?? '';
  if (top.name === 'SyntaxError')
    return classify(
      undefined,
      `${providerName}: a 200 whose body is not JSON (cut, empty or not JSON): ${said(errors)}`,
    );
  if (errors.some((x) => (x.code && NETWORK_CODES.has(x.code)) || CUT_MESSAGE.test(x.message ?? '')))
    return classify(
      undefined,
      `${providerName}: connection cut before the answer was whole: ${said(errors)}`,
    );
  // the SDK handed back a body that is no answer object (an HTML page, an empty body): reading it failed
  if (top.name === 'TypeError' && /^Cannot read propert(?:y|ies)\b.*\bof (?:undefined|null)\b/.test(message))
    return classify(undefined, `${providerName}: a 200 whose body is not an answer: ${message}`);
  return undefined;
}
