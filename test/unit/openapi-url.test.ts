import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { FunctionDef, PoolError, type ToolSource } from '../../src/core/pool';
import { callHttp } from '../../src/tools/openapi/execute';
import { loadDocumentByUrl } from '../../src/tools/openapi/remote';
import { listOpenApiFunctions, openApiSource } from '../../src/tools/openapi/source';
import { loadPool } from '../../src/tools/pool-loader';
import { resolvePoolEntries } from '../../src/tools/sources';

/**
 * An OpenAPI document given by URL, served by real local HTTP servers: the document on one port, a `$ref`
 * relative to it on the same server, `$ref`s to a YAML document on a second port (which has a local `$ref`
 * of its own), a relative server URL, a document too big, a port nobody listens on, a server that never
 * answers.
 */
interface Served {
  port: number;
  requests: string[];
  close(): Promise<void>;
}

async function serve(
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void,
): Promise<Served> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const MB = 1024 * 1024;
let api: Served;
let schemas: Served;
const hanging: http.ServerResponse[] = [];

function json(res: http.ServerResponse, body: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

beforeAll(async () => {
  schemas = await serve((req, res) => {
    if (req.url === '/schemas/common.yaml') {
      res.writeHead(200, { 'content-type': 'application/yaml' });
      res.end(
        [
          'PetId: {type: string, format: uuid, description: The id of a pet}',
          'NewPet:',
          '  type: object',
          '  required: [name]',
          '  properties:',
          '    name: {$ref: "#/PetName"}',
          '    born: {type: string, format: date}',
          'PetName: {type: string, minLength: 1}',
          '',
        ].join('\n'),
      );
    } else {
      res.writeHead(404).end();
    }
  });
  const common = `http://127.0.0.1:${schemas.port}/schemas/common.yaml`;
  api = await serve((req, res) => {
    const url = req.url ?? '';
    if (url === '/specs/openapi.json')
      json(res, {
        openapi: '3.0.3',
        info: { title: 'pets by URL', version: '1' },
        servers: [{ url: '/api/v1' }],
        paths: {
          '/pets/{petId}': {
            get: {
              operationId: 'getPet',
              parameters: [
                { name: 'petId', in: 'path', required: true, schema: { $ref: `${common}#/PetId` } },
              ],
              responses: {
                '200': {
                  description: 'the pet',
                  content: { 'application/json': { schema: { $ref: 'pet.json#/Pet' } } },
                },
              },
            },
          },
          '/pets': {
            post: {
              operationId: 'addPet',
              requestBody: {
                required: true,
                content: { 'application/json': { schema: { $ref: `${common}#/NewPet` } } },
              },
              responses: { '201': { description: 'made' } },
            },
          },
        },
      });
    else if (url === '/specs/pet.json')
      json(res, {
        Pet: {
          type: 'object',
          required: ['id', 'name'],
          properties: { id: { $ref: `${common}#/PetId` }, name: { type: 'string' } },
        },
      });
    else if (url === '/specs/broken-ref.json')
      json(res, {
        openapi: '3.0.3',
        info: { title: 'broken', version: '1' },
        servers: [{ url: 'http://127.0.0.1:1' }],
        paths: {
          '/x': {
            get: {
              parameters: [{ name: 'q', in: 'query', schema: { $ref: 'gone.json#/Q' } }],
              responses: { '204': { description: 'none' } },
            },
          },
        },
      });
    else if (url === '/specs/huge.json') {
      // says its size up front: refused before the body is read
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(21 * MB) });
      res.end(Buffer.alloc(21 * MB, 32));
    } else if (url === '/specs/huge-chunked.json') {
      // no content-length: refused while reading, the stream given up past the cap
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(MB, 32);
      let sent = 0;
      const more = (): void => {
        while (sent < 25 && !res.destroyed) {
          sent++;
          if (!res.write(chunk)) return void res.once('drain', more);
        }
        res.end();
      };
      more();
    } else if (url === '/specs/hang.json') hanging.push(res);
    else if (url.startsWith('/api/v1/pets/')) json(res, { id: url.split('/').pop(), name: 'Rex' });
    else res.writeHead(404).end();
  });
});

afterAll(async () => {
  for (const res of hanging) res.destroy();
  await api.close();
  await schemas.close();
});

const rootUrl = (): string => `http://127.0.0.1:${api.port}/specs/openapi.json`;

describe('an OpenAPI document given by URL', () => {
  it('loads as a pool entry {"openapi": {"url"}}: $refs to another port and relative ones resolved, the URL kept as given', async () => {
    const { poolSources } = resolvePoolEntries(
      [{ openapi: { url: rootUrl() } }],
      '/nonexistent/config/folder',
      'run.json',
    );
    // stored in the pool and the workflow input as the config gave it, not made a path
    expect(poolSources).toEqual([{ kind: 'openapi', name: 'openapi', file: rootUrl() }]);
    const pool = await loadPool([], poolSources);
    const fns = new Map(pool.functions.map((f) => [f.name, f]));
    expect([...fns.keys()].sort()).toEqual(['addPet', 'getPet']);
    for (const f of fns.values()) expect(FunctionDef.safeParse(f).success).toBe(true);

    const get = fns.get('getPet') as FunctionDef;
    // the path parameter's schema came from the second server's YAML document
    expect(get.parameters).toEqual({
      type: 'object',
      properties: { petId: { type: 'string', format: 'uuid', description: 'The id of a pet' } },
      required: ['petId'],
    });
    // the output from pet.json (relative to the document), whose id is a $ref to the second server again
    expect(get.output).toEqual({
      type: 'object',
      required: ['id', 'name'],
      properties: {
        id: { type: 'string', format: 'uuid', description: 'The id of a pet' },
        name: { type: 'string' },
      },
    });
    // the relative server URL "/api/v1" resolves against the document's URL
    expect(get.impl).toMatchObject({ kind: 'http', server: `http://127.0.0.1:${api.port}/api/v1` });
    expect(get.source.file).toBe(rootUrl());

    // the body from the second server, its local $ref (#/PetName) resolved inside that document
    expect((fns.get('addPet') as FunctionDef).parameters).toEqual({
      type: 'object',
      properties: { name: { type: 'string', minLength: 1 }, born: { type: 'string', format: 'date' } },
      required: ['name'],
    });
    expect(schemas.requests).toContain('/schemas/common.yaml');
    expect(api.requests).toContain('/specs/pet.json');

    // the call goes to the server URL resolved against the document
    const out = await callHttp(
      poolSources[0] as ToolSource,
      get,
      { petId: 'p-1' },
      { key: 't/1', history: [] },
    );
    expect(out).toEqual({ id: 'p-1', name: 'Rex' });
    expect(api.requests.at(-1)).toBe('/api/v1/pets/p-1');
  });

  it('takes an http(s) URL in file as well (not read as a path relative to the config)', async () => {
    const src = openApiSource({ file: rootUrl(), name: 'pets' }, '/some/config/dir', 'run.json field pool');
    expect(src).toEqual({ kind: 'openapi', name: 'pets', file: rootUrl() });
    const fns = await listOpenApiFunctions(src);
    expect(fns.map((f) => f.name)).toEqual(['getPet', 'addPet']);
  });

  it('needs file or url, not both', () => {
    expect(() => openApiSource({}, '/x', 'run.json field pool')).toThrow(
      new PoolError(
        'run.json field pool: OpenAPI source "?" needs either file (a path) or url (an http(s) URL), not neither',
      ),
    );
    expect(() => openApiSource({ file: 'a.yaml', url: rootUrl() }, '/x', 'run.json')).toThrow(/not both/);
    expect(() => openApiSource({ url: 'ftp://h/openapi.json' }, '/x', 'run.json')).toThrow(
      /field url: must be an http or https URL/,
    );
  });

  it('says which URL cannot be fetched: refused, HTTP error, a $ref that leads nowhere', async () => {
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const refused = `http://127.0.0.1:${port}/openapi.json`;
    await expect(
      listOpenApiFunctions(openApiSource({ url: refused, name: 'x' }, '/', 'run.json')),
    ).rejects.toThrow(new PoolError(`OpenAPI source x (${refused}): cannot fetch: connection refused`));

    const missing = `http://127.0.0.1:${api.port}/specs/nothing.json`;
    await expect(
      listOpenApiFunctions(openApiSource({ url: missing, name: 'x' }, '/', 'run.json')),
    ).rejects.toThrow(new PoolError(`OpenAPI source x (${missing}): cannot fetch: HTTP 404 Not Found`));

    const broken = `http://127.0.0.1:${api.port}/specs/broken-ref.json`;
    await expect(
      listOpenApiFunctions(openApiSource({ url: broken, name: 'x' }, '/', 'run.json')),
    ).rejects.toThrow(
      new PoolError(
        `OpenAPI source x (${broken}): cannot fetch http://127.0.0.1:${api.port}/specs/gone.json (a $ref of ${broken}): HTTP 404 Not Found`,
      ),
    );
  });

  it('refuses a document over 20 MB, whether it says its size or not', async () => {
    for (const file of ['huge.json', 'huge-chunked.json']) {
      const url = `http://127.0.0.1:${api.port}/specs/${file}`;
      await expect(
        listOpenApiFunctions(openApiSource({ url, name: 'big' }, '/', 'run.json')),
      ).rejects.toThrow(
        new PoolError(`OpenAPI source big (${url}): cannot fetch: the document is larger than 20 MB`),
      );
    }
  });

  it('gives up on a server that does not answer within the timeout', async () => {
    const url = `http://127.0.0.1:${api.port}/specs/hang.json`;
    const started = Date.now();
    await expect(loadDocumentByUrl(url, { timeoutMs: 300, maxBytes: MB, maxDocuments: 10 })).rejects.toThrow(
      new Error('cannot fetch: no answer within 0.3 s'),
    );
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
