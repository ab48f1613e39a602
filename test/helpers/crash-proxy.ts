import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy between magnet's workers and the fake LLM server, for the crash tests. It can hold requests
 * (not forward them) so that a process is killed while its LLM requests are open but no answer is on its
 * way to it: then every answer the fake server gives is known to have reached a living process, and "a
 * request answered twice" can only mean that magnet asked again for an answer it already had.
 *
 * Each magnet process gets its own API key (`sk-crash-<name>`), so the proxy knows whose requests it holds.
 */

interface Pending {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  body: Buffer;
  who: string;
  /** The client closed the connection before it got an answer (its process died). */
  gone: boolean;
}

export interface ProxyStats {
  /** Requests passed to the fake server. */
  forwarded: number;
  /** Answers passed back to a client that was still connected. */
  delivered: number;
  /** Answers from the fake server whose client had gone meanwhile (must stay 0 with hold/drain). */
  lost: number;
  /** Held requests whose client died while held: never sent to the fake server. */
  dropped: number;
  /** Dropped requests by process name. */
  droppedBy: Record<string, number>;
  /** Who got each answer and when (ms since the epoch), by the fake server's log index (x-request-id). */
  answers: Map<number, { who: string; at: number }>;
}

export interface GateProxy {
  /** http://127.0.0.1:<port>. */
  url: string;
  /** Stops forwarding new requests; resolves when no forwarded request is still waiting for its answer. */
  hold(): Promise<void>;
  /** Forwards the held requests of live clients, drops the others; returns how many were dropped. */
  release(): number;
  /** Requests currently held, by process name. */
  heldBy(): Record<string, number>;
  /** Requests forwarded to the fake server and not answered yet. */
  pending(): number;
  stats: ProxyStats;
  close(): Promise<void>;
}

export function processKey(name: string): string {
  return `sk-crash-${name}`;
}

function who(req: http.IncomingMessage): string {
  const auth = req.headers.authorization ?? '';
  const m = /^Bearer\s+sk-crash-(.+)$/i.exec(auth);
  return m?.[1] ?? 'unknown';
}

const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'host']);

export async function startGateProxy(upstream: string): Promise<GateProxy> {
  const target = new URL(upstream);
  const agent = new http.Agent({ keepAlive: true });
  const stats: ProxyStats = {
    forwarded: 0,
    delivered: 0,
    lost: 0,
    dropped: 0,
    droppedBy: {},
    answers: new Map(),
  };
  let holding = false;
  let inFlight = 0;
  const held: Pending[] = [];
  const idle: (() => void)[] = [];

  const settle = (): void => {
    if (inFlight === 0) for (const f of idle.splice(0)) f();
  };

  const drop = (p: Pending): void => {
    stats.dropped++;
    stats.droppedBy[p.who] = (stats.droppedBy[p.who] ?? 0) + 1;
    p.res.destroy();
  };

  const forward = (p: Pending): void => {
    if (p.gone) return drop(p);
    inFlight++;
    stats.forwarded++;
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(p.req.headers)) if (!HOP.has(k)) headers[k] = v;
    headers['content-length'] = String(p.body.length);
    const up = http.request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        method: p.req.method,
        path: p.req.url,
        headers,
      },
      (ur) => {
        const chunks: Buffer[] = [];
        ur.on('data', (c: Buffer) => chunks.push(c));
        ur.on('end', () => {
          inFlight--;
          const body = Buffer.concat(chunks);
          const index = /^req_fake_(\d+)$/.exec(String(ur.headers['x-request-id'] ?? ''))?.[1];
          if (index !== undefined) stats.answers.set(Number(index), { who: p.who, at: Date.now() });
          if (p.gone || p.res.destroyed) stats.lost++;
          else {
            const out: http.OutgoingHttpHeaders = {};
            for (const [k, v] of Object.entries(ur.headers)) if (!HOP.has(k)) out[k] = v;
            out['content-length'] = String(body.length);
            p.res.writeHead(ur.statusCode ?? 502, out);
            p.res.end(body);
            stats.delivered++;
          }
          settle();
        });
        ur.on('error', () => {
          inFlight--;
          p.res.destroy();
          settle();
        });
      },
    );
    up.on('error', () => {
      inFlight--;
      p.res.destroy();
      settle();
    });
    up.end(p.body);
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const p: Pending = { req, res, body: Buffer.concat(chunks), who: who(req), gone: false };
      res.on('close', () => {
        if (!res.writableFinished) p.gone = true;
      });
      if (holding) held.push(p);
      else forward(p);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    hold: () => {
      holding = true;
      return new Promise<void>((resolve) => {
        idle.push(resolve);
        settle();
      });
    },
    release: () => {
      holding = false;
      const before = stats.dropped;
      for (const p of held.splice(0)) forward(p);
      return stats.dropped - before;
    },
    heldBy: () => {
      const out: Record<string, number> = {};
      for (const p of held) if (!p.gone) out[p.who] = (out[p.who] ?? 0) + 1;
      return out;
    },
    pending: () => inFlight,
    close: () =>
      new Promise<void>((resolve) => {
        holding = false;
        for (const p of held.splice(0)) p.res.destroy();
        agent.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
