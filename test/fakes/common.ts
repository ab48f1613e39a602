import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRng, deriveSeed, hash32 } from '../../src/core/rng';
import { stableStringify } from '../../src/io/files';
import { parseInputBlock, parseRoleLine, type Role } from '../../src/llm/protocol';
import { answer, BrainError } from './brain';

/**
 * The machinery shared by the fake OpenAI and Gemini servers: routing, scripting, deterministic faults,
 * token accounting and the request log. A provider adapter only knows its wire format.
 */

export interface Faults {
  /** Probability of a 429 (with a retry-after header). */
  rate429?: number;
  /** Probability of a 500. */
  rate500?: number;
  /** Probability of a 200 whose content is truncated JSON (never on a repair turn). */
  rateMalformed?: number;
  /** Probability that a forth_translate answer calls an unknown function (never on a repair turn). */
  rateHallucinate?: number;
  /** Probability that the request is never answered (the client's timeout ends it). */
  rateHang?: number;
  /** Probability that the connection is reset before an answer. */
  rateReset?: number;
  /**
   * Probability of a 200 whose HTTP body is cut (the envelope, not the content: content-length says the cut
   * length), so the SDK's JSON parse fails ("Unterminated string in JSON"); never on a repair turn.
   */
  rateTruncated?: number;
  /** retry-after of 429 answers, in seconds (default 1). */
  retryAfterSeconds?: number;
  /**
   * retry-after of 429 answers in milliseconds, sent as `retry-after-ms` beside a whole-second `retry-after`
   * (as OpenAI and Azure OpenAI send it); overrides retryAfterSeconds.
   */
  retryAfterMs?: number;
  /** Seed of the fault draws (default 0). */
  seed?: number;
}

export interface ScriptRequest {
  /** Undefined when the system message has no role line. */
  role: Role | undefined;
  /** The task input (JSON block of the task user message); undefined when there is none. */
  input: unknown;
  /** Index of the request in the log. */
  requestIndex: number;
  /** The parsed request body, as sent. */
  body: unknown;
  /** The conversation has more than one user message (the client's repair turn). */
  repair: boolean;
  /** The id of the batch this request is an item of (batch API), else undefined. */
  batch?: string;
}

/**
 * A 200 that is no usable answer, as providers and their proxies send them: `cut-body` (the JSON envelope cut
 * in half, content-length matching the cut), `empty-body` (content-length 0), `not-json` (a JSON content type
 * over plain text), `html` (an HTML error page, text/html), `reset-mid-body` (half the body, then the
 * connection is destroyed).
 */
export type WireFault = 'cut-body' | 'empty-body' | 'not-json' | 'html' | 'reset-mid-body';
export const WIRE_FAULTS: readonly WireFault[] = [
  'cut-body',
  'empty-body',
  'not-json',
  'html',
  'reset-mid-body',
];

export type Scripted =
  | { status: number; body?: unknown; headers?: Record<string, string> }
  | { content: string }
  /** A 200 of the given shape around `content` (default: an empty JSON object). */
  | { wire: WireFault; content?: string }
  | { hang: true }
  | { delayMs: number };

export type Script = (req: ScriptRequest) => Scripted | undefined;

export interface FakeOptions {
  /** Delay before every answer. */
  latencyMs?: number;
  faults?: Faults;
  script?: Script;
  /** The only key accepted: any other (or none) is answered 401, as a provider refuses a bad key. */
  apiKey?: string;
  /** Limits reported in the OpenAI x-ratelimit-* headers (per minute; defaults 1,000,000 tokens, 10,000 requests). */
  rateLimit?: { tokensPerMinute?: number; requestsPerMinute?: number };
  /**
   * A hard cap on requests per second, enforced as a sliding 1-s window over arrival times (stricter than a
   * token bucket: no burst credit, any 1000 ms holds at most this many admitted requests). A request beyond it
   * is answered 429 at once (no latency), with Retry-After in whole seconds (at least 1, as HTTP has it) until
   * the window admits again; refused requests do not count in the window.
   */
  capPerSecond?: number;
}

export type Outcome =
  | 'pending'
  | 'ok'
  | '429'
  | '500'
  | 'malformed'
  | 'hallucinated'
  | 'scripted'
  | 'hang'
  | 'reset'
  /** A 200 whose body was cut (Faults.rateTruncated). */
  | 'truncated'
  /** A scripted 200 of a WireFault shape. */
  | 'wire'
  | 'bad_request';

export interface LogEntry {
  index: number;
  /** Arrival time, ms since the epoch. */
  time: number;
  role: Role | undefined;
  /** sha256 of the canonical request (messages/contents, model, response format); equal for retries. */
  bodyHash: string;
  /** Attempt number of this body hash (0 for the first time it is seen). */
  attempt: number;
  /** 0 until answered (and for hangs). */
  status: number;
  outcome: Outcome;
  promptTokens: number;
  completionTokens: number;
  apiKeySeen: boolean;
  /** Error message of a 400 (bad request). */
  error?: string;
  /** When the client closed the connection before it got an answer (ms since the epoch). */
  abandonedAt?: number;
  /** The batch this request was an item of (answered through the batch API), else undefined. */
  batch?: string;
}

export interface FakeServer {
  /** http://127.0.0.1:<port>, without a trailing slash. */
  url: string;
  log: LogEntry[];
  /** Entries answered 200 with a usable answer (outcome ok or scripted). */
  successes(): LogEntry[];
  totals(): { requests: number; successes: number; promptTokens: number; completionTokens: number };
  /** Whether a request ever carried this key (only key hashes are kept, never the key). */
  requestsWithKey(key: string): boolean;
  setScript(fn: Script | undefined): void;
  setFaults(f: Faults | undefined): void;
  setLatency(ms: number): void;
  close(): Promise<void>;
}

/** What an adapter extracts from a request. */
export interface ParsedRequest {
  model: string;
  system: string;
  /** Texts of the user messages, in order. */
  userTexts: string[];
  /** Characters of all message contents (system included), for prompt_tokens. */
  promptChars: number;
  /** The deterministic part of the request, hashed for the log and the fault draws. */
  hashBasis: unknown;
  /** The API key sent, if any (never logged). */
  apiKey: string | undefined;
}

export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface Adapter {
  name: string;
  /** The API key a request carries, if any. */
  key(headers: http.IncomingHttpHeaders, url: URL): string | undefined;
  /** The models list for a GET of its path (what the CLI's preflight asks for; not logged), else undefined. */
  models(method: string, url: URL): Reply | undefined;
  /**
   * Routes answered outside the chat machinery (e.g. the batch API: multipart uploads, file downloads), given
   * the raw body and the server's origin; undefined for the others.
   */
  route?(
    method: string,
    url: URL,
    headers: http.IncomingHttpHeaders,
    raw: Buffer,
    origin: string,
  ): Promise<Reply | undefined>;
  /** Parses a request to a known route, or returns undefined (404) for others; throws BadRequest on bad bodies. */
  parse(
    method: string,
    url: URL,
    headers: http.IncomingHttpHeaders,
    body: unknown,
  ): ParsedRequest | undefined;
  success(
    content: string,
    usage: { prompt: number; completion: number },
    req: ParsedRequest,
    index: number,
  ): Reply;
  error(status: number, message: string, extra: { retryAfterSeconds?: number }): Reply;
  /** Extra headers on every answer to a parsed request (e.g. rate limits). */
  headers?(
    usage: { tokensLastMinute: number; requestsLastMinute: number },
    opts: FakeOptions,
  ): Record<string, string>;
}

export class BadRequest extends Error {}

/** Header of the requests a fake server sends itself to answer the items of a batch (its value: the batch id). */
export const BATCH_ITEM_HEADER = 'x-fake-batch-item';

export function tokensOf(chars: number): number {
  return Math.ceil(chars / 4);
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A unknown-function forth_translate answer (the model "hallucinated" a tool). */
function hallucinate(good: unknown): unknown {
  const calls = ((good as { calls?: { name: string; arguments: unknown }[] }).calls ?? []).slice();
  const bogus = 'lookup_everything_v2';
  if (calls.length === 0) calls.push({ name: bogus, arguments: {} });
  else calls[0] = { ...(calls[0] as { name: string; arguments: unknown }), name: bogus };
  return { calls };
}

type Fault = 'none' | '429' | '500' | 'malformed' | 'hallucinate' | 'hang' | 'reset' | 'truncated';

function drawFault(f: Faults, bodyHash: string, attempt: number): Fault {
  const r = createRng(deriveSeed(f.seed ?? 0, 'fault', hash32(bodyHash), attempt)).next();
  let acc = 0;
  for (const [fault, p] of [
    ['429', f.rate429],
    ['500', f.rate500],
    ['malformed', f.rateMalformed],
    ['hallucinate', f.rateHallucinate],
    ['hang', f.rateHang],
    ['reset', f.rateReset],
    ['truncated', f.rateTruncated],
  ] as const) {
    acc += p ?? 0;
    if (r < acc) return fault;
  }
  return 'none';
}

export async function startFakeServer(adapter: Adapter, options: FakeOptions = {}): Promise<FakeServer> {
  let script = options.script;
  let faults = options.faults ?? {};
  let latencyMs = options.latencyMs ?? 0;
  const log: LogEntry[] = [];
  const attempts = new Map<string, number>();
  const keyHashes = new Set<string>();
  const recent: { time: number; tokens: number }[] = [];
  /** Arrival times of the requests admitted within the last second (capPerSecond). */
  const admitted: number[] = [];

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const rawBytes = Buffer.concat(chunks);
    const raw = rawBytes.toString('utf8');
    const send = (reply: Reply): void => {
      if (res.destroyed || res.writableEnded) return;
      const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? {});
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      res.end(text);
    };
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (options.apiKey !== undefined && adapter.key(req.headers, url) !== options.apiKey) {
      send(adapter.error(401, `fake ${adapter.name}: incorrect API key provided`, {}));
      return;
    }
    const models = adapter.models(req.method ?? 'GET', url);
    if (models) {
      send(models);
      return;
    }
    const routed = await adapter.route?.(
      req.method ?? 'GET',
      url,
      req.headers,
      rawBytes,
      `http://${req.headers.host ?? '127.0.0.1'}`,
    );
    if (routed) {
      send(routed);
      return;
    }

    let body: unknown;
    let parsed: ParsedRequest | undefined;
    try {
      body = raw ? (JSON.parse(raw) as unknown) : {};
      parsed = adapter.parse(req.method ?? 'GET', url, req.headers, body);
    } catch (e) {
      send(adapter.error(400, `fake ${adapter.name}: bad request: ${(e as Error).message}`, {}));
      return;
    }
    if (!parsed) {
      send(adapter.error(404, `fake ${adapter.name}: no route ${req.method} ${url.pathname}`, {}));
      return;
    }
    const p = parsed;

    const bodyHash = sha256(stableStringify(p.hashBasis));
    const attempt = attempts.get(bodyHash) ?? 0;
    attempts.set(bodyHash, attempt + 1);
    if (p.apiKey) keyHashes.add(sha256(p.apiKey));
    const repair = p.userTexts.length > 1;
    const batchHeader = req.headers[BATCH_ITEM_HEADER];
    const batch = typeof batchHeader === 'string' ? batchHeader : undefined;
    const role = parseRoleLine(p.system)?.role;
    let input: unknown;
    let inputError: string | undefined;
    try {
      // A repair turn answers the original task (first user message), the others the last one.
      const taskText = repair ? p.userTexts[0] : p.userTexts[p.userTexts.length - 1];
      input = parseInputBlock(taskText ?? '');
      if (input === undefined) inputError = 'no ```json input block in the task user message';
    } catch (e) {
      inputError = `input block is not JSON: ${(e as Error).message}`;
    }
    if (!role) inputError = 'system message has no "magnet-role: <role>@<version>" line';

    const entry: LogEntry = {
      index: log.length,
      time: Date.now(),
      role,
      bodyHash,
      attempt,
      status: 0,
      outcome: 'pending',
      promptTokens: 0,
      completionTokens: 0,
      apiKeySeen: Boolean(p.apiKey),
      ...(batch ? { batch } : {}),
    };
    log.push(entry);
    // the response's 'close', not the request's: that one fires as soon as the body has been read
    res.on('close', () => {
      if (!res.writableEnded) entry.abandonedAt = Date.now();
    });

    const now = (): number => Date.now();
    const extraHeaders = (): Record<string, string> => {
      while (recent.length && (recent[0] as { time: number }).time < now() - 60_000) recent.shift();
      return (
        adapter.headers?.(
          {
            tokensLastMinute: recent.reduce((a, r) => a + r.tokens, 0),
            requestsLastMinute: recent.length,
          },
          options,
        ) ?? {}
      );
    };
    const finish = (reply: Reply, outcome: Outcome, error?: string): void => {
      entry.status = reply.status;
      entry.outcome = outcome;
      if (error) entry.error = error;
      recent.push({ time: now(), tokens: entry.promptTokens + entry.completionTokens });
      send({ ...reply, headers: { ...extraHeaders(), ...reply.headers } });
    };
    const answerWith = (content: string, outcome: Outcome): void => {
      entry.promptTokens = tokensOf(p.promptChars);
      entry.completionTokens = tokensOf(content.length);
      finish(
        adapter.success(
          content,
          { prompt: entry.promptTokens, completion: entry.completionTokens },
          p,
          entry.index,
        ),
        outcome,
      );
    };

    /** A 200 of shape `kind` around the answer `content` (see WireFault). */
    const wire = (kind: WireFault, content: string, outcome: Outcome): void => {
      entry.promptTokens = tokensOf(p.promptChars);
      entry.completionTokens = tokensOf(content.length);
      entry.status = 200;
      entry.outcome = outcome;
      recent.push({ time: now(), tokens: entry.promptTokens + entry.completionTokens });
      if (res.destroyed || res.writableEnded) return;
      const reply = adapter.success(
        content,
        { prompt: entry.promptTokens, completion: entry.completionTokens },
        p,
        entry.index,
      );
      const full = JSON.stringify(reply.body);
      const headers = { ...extraHeaders(), ...reply.headers };
      const head = (type: string, body: string): void =>
        void res.writeHead(200, {
          ...headers,
          'content-type': type,
          'content-length': String(Buffer.byteLength(body)),
        });
      if (kind === 'reset-mid-body') {
        head('application/json', full);
        res.write(full.slice(0, Math.floor(full.length / 2)), () => req.socket.destroy());
        return;
      }
      const [type, body] =
        kind === 'cut-body'
          ? ['application/json', full.slice(0, Math.floor(full.length / 2))]
          : kind === 'empty-body'
            ? ['application/json', '']
            : kind === 'not-json'
              ? ['application/json', 'upstream connect error or disconnect/reset before headers']
              : [
                  'text/html',
                  '<html><head><title>502 Bad Gateway</title></head><body>Bad Gateway</body></html>',
                ];
      head(type, body);
      res.end(body);
    };

    // batch items are the provider's own work, not requests against the per-second cap
    if (options.capPerSecond !== undefined && !entry.batch) {
      const t = entry.time;
      while (admitted.length > 0 && (admitted[0] as number) <= t - 1000) admitted.shift();
      if (admitted.length >= options.capPerSecond) {
        const waitMs = Math.max(1, (admitted[0] as number) + 1000 - t);
        const reply = adapter.error(429, `fake ${adapter.name}: rate limit of ${options.capPerSecond}/s`, {
          retryAfterSeconds: Math.ceil(waitMs / 1000),
        });
        return finish(
          {
            ...reply,
            headers: { 'retry-after': String(Math.ceil(waitMs / 1000)), ...reply.headers },
          },
          '429',
        );
      }
      admitted.push(t);
    }

    if (latencyMs > 0) await sleep(latencyMs);

    const scripted = script?.({
      role,
      input,
      requestIndex: entry.index,
      body,
      repair,
      ...(batch ? { batch } : {}),
    });
    if (scripted) {
      if ('hang' in scripted) {
        entry.outcome = 'hang';
        return; // the connection stays open until the client gives up or the server closes
      }
      if ('delayMs' in scripted) await sleep(scripted.delayMs);
      else if ('wire' in scripted) return wire(scripted.wire, scripted.content ?? '{}', 'wire');
      else if ('content' in scripted) return answerWith(scripted.content, 'scripted');
      else
        return finish(
          { status: scripted.status, body: scripted.body ?? {}, headers: scripted.headers ?? {} },
          'scripted',
        );
    }

    const fault = drawFault(faults, bodyHash, attempt);
    if (fault === 'hang') {
      entry.outcome = 'hang';
      return;
    }
    if (fault === 'reset') {
      entry.outcome = 'reset';
      req.socket.destroy();
      return;
    }
    if (fault === '429') {
      const ms = faults.retryAfterMs;
      const retryAfterSeconds = ms !== undefined ? ms / 1000 : (faults.retryAfterSeconds ?? 1);
      const reply = adapter.error(
        429,
        `fake ${adapter.name}: rate limit reached, retry in ${retryAfterSeconds}s`,
        {
          retryAfterSeconds,
        },
      );
      const headers: Record<string, string> = {
        'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))),
        ...(ms !== undefined ? { 'retry-after-ms': String(ms) } : {}),
      };
      return finish({ ...reply, headers: { ...headers, ...reply.headers } }, '429');
    }
    if (fault === '500') return finish(adapter.error(500, `fake ${adapter.name}: internal error`, {}), '500');

    if (inputError || !role) {
      return finish(adapter.error(400, `fake ${adapter.name}: ${inputError}`, {}), 'bad_request', inputError);
    }
    let good: unknown;
    try {
      good = answer(role, input);
    } catch (e) {
      const msg = e instanceof BrainError ? e.message : `brain failed: ${(e as Error).stack ?? String(e)}`;
      return finish(adapter.error(400, `fake ${adapter.name}: ${msg}`, {}), 'bad_request', msg);
    }
    const goodText = JSON.stringify(good);
    if (fault === 'truncated' && !repair) return wire('cut-body', goodText, 'truncated');
    if (fault === 'malformed' && !repair) {
      return answerWith(goodText.slice(0, Math.max(1, Math.floor(goodText.length / 2))), 'malformed');
    }
    if (fault === 'hallucinate' && !repair && role === 'forth_translate') {
      return answerWith(JSON.stringify(hallucinate(good)), 'hallucinated');
    }
    answerWith(goodText, 'ok');
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `fake server crashed: ${String(e)}` } }));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  const successes = (): LogEntry[] =>
    log.filter((e) => e.status === 200 && (e.outcome === 'ok' || e.outcome === 'scripted'));
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    successes,
    totals: () => {
      const ok = successes();
      return {
        requests: log.length,
        successes: ok.length,
        promptTokens: ok.reduce((a, e) => a + e.promptTokens, 0),
        completionTokens: ok.reduce((a, e) => a + e.completionTokens, 0),
      };
    },
    requestsWithKey: (key) => keyHashes.has(sha256(key)),
    setScript: (fn) => {
      script = fn;
    },
    setFaults: (f) => {
      faults = f ?? {};
    },
    setLatency: (ms) => {
      latencyMs = ms;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
