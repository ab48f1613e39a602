import http from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { PlannedCall } from '../../src/core/conversation';
import { FunctionDef, PoolError, type ToolSource } from '../../src/core/pool';
import { loadPool } from '../../src/tools/pool-loader';
import { executeTurn } from '../../src/tools/execute';
import { callHttp } from '../../src/tools/openapi/execute';
import { listOpenApiFunctions, openApiSource, readOpenApi } from '../../src/tools/openapi/source';
import { resolvePoolEntries } from '../../src/tools/sources';
import { InfrastructureError, ToolError } from '../../src/tools/types';
import { startPetstore, type PetstoreServer } from '../helpers/petstore-server';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'openapi');
const scope = { key: 'test/1', history: [] };

function source(entry: Record<string, unknown>): ToolSource {
  return openApiSource(entry as { file: string }, FIXTURES, 'run.json field pool');
}

function byName(fns: FunctionDef[]): Map<string, FunctionDef> {
  return new Map(fns.map((f) => [f.name, f]));
}

describe('OpenAPI documents as a pool source: the petstore-expanded document (YAML, $refs, allOf)', () => {
  it('lists each operation as a function with parameters, required, output and binding', async () => {
    const fns = byName(await listOpenApiFunctions(source({ file: 'petstore-expanded.yaml' })));
    // "find pet by id" is the document's operationId: spaces are not allowed in function names
    expect([...fns.keys()].sort()).toEqual(['addPet', 'deletePet', 'findPets', 'find_pet_by_id']);
    for (const f of fns.values()) expect(FunctionDef.safeParse(f).success).toBe(true);

    const add = fns.get('addPet') as FunctionDef;
    // the NewPet body is flattened into arguments; `name` is required by the schema and the body is required
    expect(add.parameters).toEqual({
      type: 'object',
      properties: { name: { type: 'string' }, tag: { type: 'string' } },
      required: ['name'],
    });
    // Pet = allOf [NewPet, {id}] merged into one object, so the graph sees its fields
    expect(add.output).toEqual({
      type: 'object',
      properties: {
        name: { type: 'string' },
        tag: { type: 'string' },
        id: { type: 'integer', format: 'int64' },
      },
      required: ['name', 'id'],
    });
    expect(add.outputOrigin).toBe('declared');
    expect(add.category).toBe('petstore-expanded');
    expect(add.impl).toEqual({
      kind: 'http',
      source: 'petstore-expanded',
      method: 'post',
      path: '/pets',
      server: 'https://petstore.swagger.io/v2',
      params: {},
      body: { contentType: 'application/json', fields: ['name', 'tag'] },
    });

    const find = fns.get('find_pet_by_id') as FunctionDef;
    expect(find.parameters.required).toEqual(['id']);
    expect(find.parameters.properties.id).toEqual({
      type: 'integer',
      format: 'int64',
      description: 'ID of pet to fetch',
    });
    expect(find.impl).toMatchObject({
      method: 'get',
      path: '/pets/{id}',
      params: { id: { in: 'path', name: 'id' } },
    });
    expect(find.source.item).toBe('GET /pets/{id}');

    const list = fns.get('findPets') as FunctionDef;
    expect(list.parameters.required).toEqual([]);
    expect(list.output).toMatchObject({ type: 'array', items: { type: 'object', required: ['name', 'id'] } });
    // the long lorem-ipsum description is cut to what providers accept
    expect(list.description.length).toBeLessThanOrEqual(1024);
    // 204 without content: no output schema, nothing declared
    expect(fns.get('deletePet')?.output).toBeUndefined();
    expect(fns.get('deletePet')?.outputOrigin).toBeUndefined();
  });

  it('is a config pool entry: resolvePoolEntries checks it, loadPool keeps the source', async () => {
    const { poolPaths, poolSources } = resolvePoolEntries(
      [
        {
          openapi: {
            file: 'petstore-expanded.yaml',
            name: 'pets',
            operations: { exclude: ['DELETE /pets/{id}'] },
          },
        },
      ],
      FIXTURES,
      'run.json',
    );
    expect(poolPaths).toEqual([]);
    expect(poolSources).toEqual([
      {
        kind: 'openapi',
        name: 'pets',
        file: path.join(FIXTURES, 'petstore-expanded.yaml'),
        operations: { exclude: ['DELETE /pets/{id}'] },
      },
    ]);
    const pool = await loadPool(poolPaths, poolSources);
    expect(pool.functions.map((f) => f.name)).toEqual(['addPet', 'findPets', 'find_pet_by_id']);
    expect(pool.sources).toEqual(poolSources);
    expect(pool.functions.every((f) => f.impl?.kind === 'http' && f.impl.source === 'pets')).toBe(true);
  });

  it('refuses two sources of one name (calls find their source by name)', () => {
    const entry = { openapi: { file: 'petstore-expanded.yaml' } };
    expect(() => resolvePoolEntries([entry, entry], FIXTURES, 'run.json')).toThrow(
      new PoolError('run.json field pool: two sources are named petstore-expanded (give one a "name")'),
    );
    const renamed = { openapi: { file: 'petstore-expanded.yaml', name: 'pets2' } };
    expect(resolvePoolEntries([entry, renamed], FIXTURES, 'run.json').poolSources.map((s) => s.name)).toEqual(
      ['petstore-expanded', 'pets2'],
    );
  });

  it('says which config field is wrong, and never takes a credential in the config', () => {
    expect(() => source({ file: 'nope.yaml' })).toThrow(
      /run\.json field pool: OpenAPI source "nope\.yaml" field file: .*nope\.yaml does not exist/,
    );
    expect(() => source({ file: 'petstore-expanded.yaml', token: 'sk-secret' })).toThrow(
      /Unrecognized key.*token.*credentials go by environment variable name/,
    );
    expect(() =>
      source({ file: 'petstore-expanded.yaml', auth: { type: 'bearer', env: 'sk-live-123' } }),
    ).toThrow(/field auth\.env: the NAME of an environment variable/);
    expect(() => source({ file: 'petstore-expanded.yaml', baseURL: 'localhost:8080' })).toThrow(
      /field baseURL/,
    );
    expect(() => source({ file: 'petstore-expanded.yaml', operations: { include: [] } })).toThrow(
      /field operations\.include/,
    );
  });

  it('fails an include filter naming no operation', async () => {
    await expect(
      listOpenApiFunctions(
        source({ file: 'petstore-expanded.yaml', operations: { include: ['addPet', 'getPet'] } }),
      ),
    ).rejects.toThrow(/operations\.include: no operation "getPet"/);
  });
});

describe('the Swagger Petstore OpenAPI 3.0 document (swagger-api/swagger-petstore, YAML)', () => {
  it('offers its operations by tag, skips the file upload, and needs a base URL for its relative server', async () => {
    await expect(listOpenApiFunctions(source({ file: 'petstore3.yaml' }))).rejects.toThrow(
      /OpenAPI source petstore3 \(.*petstore3\.yaml\): the server URL "\/v3" is relative: set baseURL/,
    );
    const src = source({
      file: 'petstore3.yaml',
      baseURL: 'http://127.0.0.1:8080/api/v3',
      auth: { type: 'header', name: 'api_key', env: 'PETSTORE_API_KEY' },
    });
    const { functions, skipped } = await readOpenApi(src);
    expect(skipped).toEqual([
      {
        operation: 'POST /pet/{petId}/uploadImage (uploadFile)',
        reason: 'its request body is application/octet-stream, not JSON',
      },
    ]);
    const fns = byName(functions);
    expect(functions).toHaveLength(18);
    const byCategory: Record<string, string[]> = {};
    for (const f of functions) (byCategory[f.category] ??= []).push(f.name);
    expect(byCategory).toEqual({
      pet: [
        'addPet',
        'updatePet',
        'findPetsByStatus',
        'findPetsByTags',
        'getPetById',
        'updatePetWithForm',
        'deletePet',
      ],
      store: ['getInventory', 'placeOrder', 'getOrderById', 'deleteOrder'],
      user: [
        'createUser',
        'createUsersWithListInput',
        'loginUser',
        'logoutUser',
        'getUserByName',
        'updateUser',
        'deleteUser',
      ],
    });
    for (const f of functions) expect(FunctionDef.safeParse(f).success).toBe(true);

    // Pet body flattened (required body: the schema's required fields are required); OpenAPI-only keywords gone
    const add = fns.get('addPet') as FunctionDef;
    expect(add.description).toBe('Add a new pet to the store');
    expect(add.parameters.required).toEqual(['name', 'photoUrls']);
    expect(Object.keys(add.parameters.properties)).toEqual([
      'id',
      'name',
      'category',
      'photoUrls',
      'tags',
      'status',
    ]);
    expect(add.parameters.properties.category).toEqual({
      type: 'object',
      properties: {
        id: { type: 'integer', format: 'int64', examples: [1] },
        name: { type: 'string', examples: ['Dogs'] },
      },
    });
    expect(add.output).toMatchObject({ type: 'object', required: ['name', 'photoUrls'] });
    // the credential's header is magnet's to send: deletePet's api_key parameter is not offered to the model
    expect(fns.get('deletePet')?.parameters).toEqual({
      type: 'object',
      properties: { petId: { type: 'integer', format: 'int64', description: 'Pet id to delete' } },
      required: ['petId'],
    });
    expect(fns.get('findPetsByStatus')?.parameters.properties.status).toMatchObject({
      enum: ['available', 'pending', 'sold'],
      default: 'available',
    });
    // an array body is one argument, optional as the document says
    expect(fns.get('createUsersWithListInput')?.parameters).toMatchObject({
      properties: { body: { type: 'array' } },
      required: [],
    });
    // createUser declares only a `default` response: that is its output
    expect(fns.get('createUser')?.output).toMatchObject({ properties: { username: { type: 'string' } } });
    expect(fns.get('loginUser')?.output).toEqual({ type: 'string' });
    expect(fns.get('getInventory')?.output).toEqual({
      type: 'object',
      additionalProperties: { type: 'integer', format: 'int32' },
    });
    expect(fns.get('logoutUser')?.output).toBeUndefined();
    expect(fns.get('getPetById')?.impl).toMatchObject({ path: '/pet/{petId}', server: '/v3' });
  });
});

describe('callHttp against a local server implementing petstore-expanded', () => {
  let store: PetstoreServer;
  let fns: Map<string, FunctionDef>;
  let src: ToolSource;
  beforeAll(async () => {
    store = await startPetstore();
    process.env.MAGNET_TEST_PETSTORE_KEY = 'k3y-for-tests';
    src = source({
      file: 'petstore-expanded.yaml',
      baseURL: store.baseURL,
      auth: { type: 'bearer', env: 'MAGNET_TEST_PETSTORE_KEY' },
    });
    fns = byName(await listOpenApiFunctions(src));
  });
  afterAll(async () => {
    delete process.env.MAGNET_TEST_PETSTORE_KEY;
    await store.close();
  });
  const call = (name: string, args: Record<string, unknown>): Promise<unknown> =>
    callHttp(src, fns.get(name) as FunctionDef, args, scope);

  it('creates a pet, finds it by the id the server gave, lists, deletes it, and reports the 404 after', async () => {
    const created = (await call('addPet', { name: 'Rex', tag: 'dog' })) as { id: number };
    expect(created).toEqual({ id: 1, name: 'Rex', tag: 'dog' });
    const post = store.requests.at(-1);
    expect(post).toMatchObject({ method: 'POST', url: '/v2/pets', body: '{"name":"Rex","tag":"dog"}' });
    expect(post?.headers).toMatchObject({
      'content-type': 'application/json',
      accept: 'application/json',
      authorization: 'Bearer k3y-for-tests',
    });
    // the credential was read from the environment at call time: the source holds only its name
    expect(JSON.stringify(src)).not.toContain('k3y-for-tests');

    await call('addPet', { name: 'Tom', tag: 'cat' });
    expect(await call('find_pet_by_id', { id: created.id })).toEqual(created);
    expect(store.requests.at(-1)?.url).toBe('/v2/pets/1');
    // form style, exploded: one tags= per value
    expect(await call('findPets', { tags: ['dog', 'fish'], limit: 5 })).toEqual([created]);
    expect(store.requests.at(-1)?.url).toBe('/v2/pets?tags=dog&tags=fish&limit=5');

    expect(await call('deletePet', { id: created.id })).toEqual({ status: 204 });
    await expect(call('find_pet_by_id', { id: created.id })).rejects.toThrow(
      new ToolError('HTTP 404 Not Found: {"code":404,"message":"pet 1 not found"}'),
    );
    await expect(call('addPet', { tag: 'no name' })).rejects.toThrow(
      /^HTTP 400 Bad Request: .*name is required/,
    );
  });

  it('encodes path arguments', async () => {
    await expect(call('find_pet_by_id', { id: '1/../2' })).rejects.toThrow(
      /HTTP 400.*id 1%2F\.\.%2F2 is not an integer/,
    );
    expect(store.requests.at(-1)?.url).toBe('/v2/pets/1%2F..%2F2');
  });

  it('fails a call whose credential variable is not set, before sending anything', async () => {
    const n = store.requests.length;
    delete process.env.MAGNET_TEST_PETSTORE_KEY;
    try {
      await expect(call('findPets', {})).rejects.toThrow(
        /environment variable MAGNET_TEST_PETSTORE_KEY \(credential of OpenAPI source petstore-expanded\) is not set/,
      );
    } finally {
      process.env.MAGNET_TEST_PETSTORE_KEY = 'k3y-for-tests';
    }
    expect(store.requests.length).toBe(n);
  });

  it('runs through executeTurn: executor http, outputs checked against the declared schema, errors recorded', async () => {
    const pool = new Map(fns);
    const planned: PlannedCall[] = [
      { id: 'c1', name: 'addPet', arguments: { name: 'Bella' }, refs: {}, sources: {} },
      {
        id: 'c2',
        name: 'find_pet_by_id',
        arguments: {},
        refs: { id: { call: 'c1', field: 'id' } },
        sources: {},
      },
      { id: 'c3', name: 'find_pet_by_id', arguments: { id: 999 }, refs: {}, sources: {} },
    ];
    const { calls } = await executeTurn(planned, pool, {}, 7, 'auto', undefined, false, {
      sources: [src],
      scope,
    });
    expect(calls.map((c) => c.executor)).toEqual(['http', 'http', 'http']);
    const bella = calls[0]?.output as { id: number };
    expect(calls[0]).toMatchObject({ output: { name: 'Bella' } });
    expect(calls[0]?.error).toBeUndefined();
    // the id the server created went into the next call
    expect(calls[1]).toMatchObject({ arguments: { id: bella.id }, output: { id: bella.id, name: 'Bella' } });
    expect(calls[2]?.error).toMatch(/^HTTP 404/);
    // without the source in the pool's sources the call fails as unreachable, recorded as http
    const lost = await executeTurn(planned.slice(0, 1), pool, {}, 7, 'auto', undefined, false, {
      sources: [],
      scope,
    });
    expect(lost.calls[0]).toMatchObject({
      executor: 'http',
      error: expect.stringMatching(/not in the pool/),
    });
  });
});

/** A small document exercising what petstore does not: circular refs, oneOf, forms, cookies, relative server. */
const EDGE_DOC = {
  openapi: '3.0.3',
  info: { title: 'edge cases', version: '1' },
  servers: [
    {
      url: '{scheme}://127.0.0.1:{port}/api',
      variables: { scheme: { default: 'http' }, port: { default: '1' } },
    },
  ],
  paths: {
    '/nodes/{nodeId}': {
      parameters: [{ name: 'nodeId', in: 'path', required: true, schema: { type: 'string' } }],
      get: {
        operationId: 'get.node',
        tags: ['tree'],
        summary: 'Get a node.',
        description: 'With its children.',
        parameters: [
          { name: 'depth', in: 'query', schema: { type: 'integer', nullable: true, example: 2 } },
          { name: 'X-Trace', in: 'header', required: true, schema: { type: 'string' } },
          { name: 'session', in: 'cookie', schema: { type: 'string' } },
          { name: 'filter[kind]', in: 'query', schema: { type: 'string' } },
          {
            name: 'where',
            in: 'query',
            content: {
              'application/json': { schema: { type: 'object', properties: { depth: { type: 'integer' } } } },
            },
          },
        ],
        responses: {
          '200': {
            description: 'ok',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Node' } } },
          },
        },
      },
      put: {
        summary: 'Replace a node with a shape or text.',
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: { oneOf: [{ $ref: '#/components/schemas/Node' }, { type: 'string' }] },
            },
          },
        },
        responses: { '204': { description: 'done' } },
      },
    },
    '/upload': {
      post: {
        operationId: 'upload',
        requestBody: { content: { 'multipart/form-data': { schema: { type: 'object' } } } },
        responses: { '200': { description: 'ok' } },
      },
    },
    '/login': {
      post: {
        operationId: 'login',
        parameters: [{ name: 'sid', in: 'cookie', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'ok' } },
      },
    },
    '/old': { get: { operationId: 'old', deprecated: true, responses: { '200': { description: 'ok' } } } },
  },
  components: {
    schemas: {
      Node: {
        type: 'object',
        required: ['id'],
        properties: {
          id: { type: 'string', readOnly: true },
          label: { type: 'string', xml: { name: 'l' } },
          children: { type: 'array', items: { $ref: '#/components/schemas/Node' } },
        },
      },
    },
  },
};

describe('OpenAPI documents: what a real API throws at the converter', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'magnet-openapi-'));
  writeFileSync(path.join(dir, 'edge.json'), JSON.stringify(EDGE_DOC));

  it('cuts circular refs, keeps oneOf, substitutes server variables and says what it skipped and why', async () => {
    const src = openApiSource({ file: 'edge.json' }, dir, 'run.json field pool');
    const { functions, skipped } = await readOpenApi(src);
    expect(skipped).toEqual([
      { operation: 'POST /upload (upload)', reason: 'its request body is multipart/form-data, not JSON' },
      { operation: 'POST /login (login)', reason: 'required cookie parameter sid (cookies are not sent)' },
      { operation: 'GET /old (old)', reason: 'deprecated' },
    ]);
    const fns = byName(functions);
    expect([...fns.keys()]).toEqual(['get_node', 'put_nodes_nodeId']);
    const get = fns.get('get_node') as FunctionDef;
    expect(get.description).toBe('Get a node. With its children.');
    expect(get.category).toBe('tree');
    // path-level parameter, nullable query, required header; the optional cookie is left out
    expect(get.parameters).toEqual({
      type: 'object',
      properties: {
        nodeId: { type: 'string' },
        depth: { type: ['integer', 'null'], examples: [2] },
        'X-Trace': { type: 'string' },
        // a name providers reject becomes a safe argument name; the request uses the real one
        filter_kind_: { type: 'string' },
        where: { type: 'object', properties: { depth: { type: 'integer' } } },
      },
      required: ['nodeId', 'X-Trace'],
    });
    // the response keeps the readOnly id; the recursion is cut one level down, naming the schema
    expect(get.output).toEqual({
      type: 'object',
      required: ['id'],
      properties: {
        id: { type: 'string', readOnly: true },
        label: { type: 'string' },
        children: {
          type: 'array',
          items: {
            type: 'object',
            description: 'a Node (recursive: same shape as above, not expanded again)',
          },
        },
      },
    });
    expect(JSON.parse(JSON.stringify(get.output))).toEqual(get.output);
    expect(get.impl).toMatchObject({ server: 'http://127.0.0.1:1/api' });

    const put = fns.get('put_nodes_nodeId') as FunctionDef;
    // a oneOf body cannot be flattened: it is one `body` argument; the request drops the readOnly id
    expect(put.parameters.required).toEqual(['nodeId', 'body']);
    const body = put.parameters.properties.body as { oneOf: { properties?: object }[] };
    expect(body.oneOf).toHaveLength(2);
    expect(Object.keys(body.oneOf[0]?.properties ?? {})).toEqual(['label', 'children']);
    expect(put.impl).toMatchObject({ body: { contentType: 'application/json', arg: 'body' } });
  });

  it('needs baseURL when the document has a relative server URL', async () => {
    writeFileSync(path.join(dir, 'rel.json'), JSON.stringify({ ...EDGE_DOC, servers: [{ url: '/v3' }] }));
    await expect(readOpenApi(openApiSource({ file: 'rel.json' }, dir, 'x'))).rejects.toThrow(
      new PoolError(
        `OpenAPI source rel (${path.join(dir, 'rel.json')}): the server URL "/v3" is relative: set baseURL`,
      ),
    );
    const ok = await readOpenApi(
      openApiSource({ file: 'rel.json', baseURL: 'http://127.0.0.1:9/v3' } as { file: string }, dir, 'x'),
    );
    expect(ok.functions).toHaveLength(2);
  });

  it('resolves $refs to other files (YAML)', async () => {
    writeFileSync(
      path.join(dir, 'main.yaml'),
      [
        'openapi: 3.1.0',
        'info: {title: split, version: "1"}',
        'servers: [{url: "http://127.0.0.1:1"}]',
        'paths:',
        '  /things:',
        '    post:',
        '      operationId: makeThing',
        '      requestBody: {required: true, content: {application/json: {schema: {$ref: "./schemas.yaml#/Thing"}}}}',
        '      responses: {"201": {description: made, content: {application/json: {schema: {$ref: "./schemas.yaml#/Thing"}}}}}',
        '',
      ].join('\n'),
    );
    writeFileSync(
      path.join(dir, 'schemas.yaml'),
      'Thing:\n  type: object\n  required: [label]\n  properties:\n    id: {type: string, readOnly: true}\n    label: {type: [string, "null"]}\n',
    );
    const { functions } = await readOpenApi(openApiSource({ file: 'main.yaml' }, dir, 'x'));
    expect(functions.map((f) => [f.name, f.parameters, f.output])).toEqual([
      [
        'makeThing',
        { type: 'object', properties: { label: { type: ['string', 'null'] } }, required: ['label'] },
        {
          type: 'object',
          required: ['label'],
          properties: { id: { type: 'string', readOnly: true }, label: { type: ['string', 'null'] } },
        },
      ],
    ]);
  });

  it('says which file is not an OpenAPI 3 document', async () => {
    writeFileSync(path.join(dir, 'v2.json'), JSON.stringify({ swagger: '2.0', info: {}, paths: {} }));
    await expect(readOpenApi(openApiSource({ file: 'v2.json' }, dir, 'x'))).rejects.toThrow(
      /OpenAPI source v2 \(.*v2\.json\): a Swagger 2\.0 document: convert it to OpenAPI 3 first/,
    );

    writeFileSync(path.join(dir, 'not.yaml'), 'just: [a, list\n');
    await expect(readOpenApi(openApiSource({ file: 'not.yaml' }, dir, 'x'))).rejects.toThrow(
      /OpenAPI source not \(.*not\.yaml\): cannot read the document/,
    );
  });
});

describe('callHttp: answers a service should not give', () => {
  let server: http.Server;
  let src: ToolSource;
  let fns: Map<string, FunctionDef>;
  const sent: string[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      sent.push(`${req.method} ${req.url} ${req.headers['x-trace'] ?? ''} ${req.headers['api-key'] ?? ''}`);
      if (req.url?.startsWith('/api/nodes/big')) {
        // 3 MB of JSON, streamed: callHttp stops reading past the cap
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"id":"big","label":"');
        for (let i = 0; i < 3000; i++) res.write('x'.repeat(1000));
        return res.end('"}');
      }
      if (req.url?.startsWith('/api/nodes/moved'))
        return res.writeHead(302, { location: 'http://attacker.example/steal' }).end();
      if (req.url?.startsWith('/api/nodes/untyped')) return res.end('{"id":"untyped"}');
      if (req.url?.startsWith('/api/nodes/text'))
        return res.writeHead(200, { 'content-type': 'text/plain' }).end('hello');
      if (req.url?.startsWith('/api/nodes/bad'))
        return res.writeHead(200, { 'content-type': 'application/json' }).end('{oops');
      res.writeHead(502, { 'content-type': 'text/html' }).end(`<html>${'gateway down '.repeat(100)}</html>`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const dir = mkdtempSync(path.join(os.tmpdir(), 'magnet-openapi-'));
    writeFileSync(path.join(dir, 'edge.json'), JSON.stringify(EDGE_DOC));
    process.env.MAGNET_TEST_EDGE_KEY = 'edge-key';
    src = openApiSource(
      {
        file: 'edge.json',
        baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`,
        auth: { type: 'header', name: 'Api-Key', env: 'MAGNET_TEST_EDGE_KEY' },
      } as unknown as { file: string },
      dir,
      'x',
    );
    fns = byName(await listOpenApiFunctions(src));
  });
  afterAll(async () => {
    delete process.env.MAGNET_TEST_EDGE_KEY;
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  const get = (nodeId: string): Promise<unknown> =>
    callHttp(src, fns.get('get_node') as FunctionDef, { nodeId, 'X-Trace': 't1', depth: null }, scope);

  it('caps the body while reading, passes text through, rejects broken JSON, excerpts error pages', async () => {
    await expect(get('big')).rejects.toThrow(/HTTP 200: answer over the 1000000-byte limit/);
    expect(
      await callHttp(
        src,
        fns.get('get_node') as FunctionDef,
        { nodeId: 'text', 'X-Trace': 't2', filter_kind_: 'leaf', where: { depth: 1 } },
        scope,
      ),
    ).toBe('hello');
    expect(sent.at(-1)).toBe(
      'GET /api/nodes/text?filter%5Bkind%5D=leaf&where=%7B%22depth%22%3A1%7D t2 edge-key',
    );
    await expect(get('bad')).rejects.toThrow(/HTTP 200: the answer is not valid JSON: \{oops/);
    expect(await get('untyped')).toEqual({ id: 'untyped' });
    // the header credential is not carried to wherever a redirect points
    await expect(get('moved')).rejects.toThrow(
      'HTTP 302 Found: redirected to http://attacker.example/steal, not followed with a credential',
    );
    // a gateway that says the service is down is no answer to the call: infrastructure, never data
    const err = await get('down').catch((e: Error) => e);
    expect(err).toBeInstanceOf(InfrastructureError);
    expect((err as Error).message).toMatch(/^HTTP 502 Bad Gateway: <html>gateway down gateway down/);
    expect((err as Error).message.length).toBeLessThan(400);
    // header parameters and the header credential were sent; a null optional query argument was not
    expect(sent[0]).toBe('GET /api/nodes/big t1 edge-key');
  });

  it('reports a service that does not answer as a failed request', async () => {
    // a port nobody listens on: take a free one and close it again
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const closed = { ...src, baseURL: `http://127.0.0.1:${port}/api` } as ToolSource;
    await expect(
      callHttp(closed, fns.get('get_node') as FunctionDef, { nodeId: 'a', 'X-Trace': 't' }, scope),
    ).rejects.toThrow(
      new RegExp(`^request to http://127\\.0\\.0\\.1:${port}/api/nodes/a failed: .*ECONNREFUSED`),
    );
    const refused = await callHttp(
      closed,
      fns.get('get_node') as FunctionDef,
      { nodeId: 'a', 'X-Trace': 't' },
      scope,
    ).catch((e: Error) => e);
    expect(refused).toBeInstanceOf(InfrastructureError);
  });
});
