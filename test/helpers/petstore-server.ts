import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local HTTP server implementing the operations of the OpenAPI Initiative's petstore-expanded document
 * (test/fixtures/openapi/petstore-expanded.yaml): findPets, addPet, `find pet by id`, deletePet, with the
 * document's shapes (Pet = NewPet + id; errors as Error {code, message}). Pets live in memory; every request
 * is logged so tests can check what magnet sent.
 */
export interface Pet {
  id: number;
  name: string;
  tag?: string;
}

export interface LoggedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface PetstoreServer {
  /** Base URL the document's paths go under (`http://127.0.0.1:<port>/v2`). */
  baseURL: string;
  requests: LoggedRequest[];
  pets: Map<number, Pet>;
  close(): Promise<void>;
}

export async function startPetstore(): Promise<PetstoreServer> {
  const pets = new Map<number, Pet>();
  const requests: LoggedRequest[] = [];
  let nextId = 1;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const send = (status: number, value?: unknown): void => {
        if (value === undefined) {
          res.writeHead(status).end();
          return;
        }
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      };
      const error = (status: number, message: string): void => send(status, { code: status, message });
      const url = new URL(req.url ?? '/', 'http://localhost');
      const m = /^\/v2\/pets(?:\/([^/]+))?$/.exec(url.pathname);
      if (!m) return error(404, `no route ${url.pathname}`);
      const id = m[1] === undefined ? undefined : Number(decodeURIComponent(m[1]));
      if (id === undefined && req.method === 'GET') {
        const tags = url.searchParams.getAll('tags');
        const limit = url.searchParams.has('limit') ? Number(url.searchParams.get('limit')) : Infinity;
        const found = [...pets.values()].filter((p) => tags.length === 0 || (p.tag && tags.includes(p.tag)));
        return send(200, found.slice(0, limit));
      }
      if (id === undefined && req.method === 'POST') {
        let pet: unknown;
        try {
          pet = JSON.parse(body);
        } catch {
          return error(400, 'body is not JSON');
        }
        const p = pet as Partial<Pet>;
        if (typeof p?.name !== 'string' || p.name === '') return error(400, 'name is required');
        if (p.tag !== undefined && typeof p.tag !== 'string') return error(400, 'tag must be a string');
        const created: Pet = { id: nextId++, name: p.name, ...(p.tag !== undefined ? { tag: p.tag } : {}) };
        pets.set(created.id, created);
        return send(200, created);
      }
      if (id !== undefined && !Number.isInteger(id)) return error(400, `id ${m[1]} is not an integer`);
      const pet = id === undefined ? undefined : pets.get(id);
      if (req.method === 'GET') return pet ? send(200, pet) : error(404, `pet ${id} not found`);
      if (req.method === 'DELETE') {
        if (!pet) return error(404, `pet ${id} not found`);
        pets.delete(pet.id);
        return send(204);
      }
      return error(405, `${req.method} not allowed`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v2`,
    requests,
    pets,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // fetch keeps connections alive
      }),
  };
}
