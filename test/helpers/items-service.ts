import path from 'node:path';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real stateful HTTP service (in memory) for items, described by an OpenAPI 3.0 document (`itemsOpenAPI`,
 * served at GET /openapi.json and stored as test/fixtures/openapi/items.json, kept identical). Created items
 * get a random uuid v4 id, so a later call can only name an item by an id an earlier call returned.
 * Operations: createItem (POST /items -> 201), listItems (GET /items), getItem (GET /items/{itemId}, 404
 * `{error}` when unknown), updateItem (PATCH /items/{itemId}), deleteItem (DELETE /items/{itemId} -> 204).
 * POST /_reset (not in the document) replaces the state with the JSON array of items in its body. A request
 * with the header X-Magnet-Scope works on that scope's own items (each conversation its own state).
 * The document names no server: point the pool's baseURL at the service's baseURL.
 */
export interface Item {
  id: string;
  name: string;
  quantity: number;
}

export interface ItemsRequest {
  method: string;
  url: string;
  status: number;
}

export interface ItemsService {
  /** `http://127.0.0.1:<port>`; the document's paths go right under it. */
  baseURL: string;
  requests: ItemsRequest[];
  items: Map<string, Item>;
  close(): Promise<void>;
}

const itemSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid', description: 'Id of the item' },
    name: { type: 'string', description: 'Name of the item' },
    quantity: { type: 'integer', minimum: 0, description: 'Quantity of the item in stock' },
  },
  required: ['id', 'name', 'quantity'],
};

const errorResponse = (description: string) => ({
  description,
  content: {
    'application/json': {
      schema: {
        type: 'object',
        properties: { error: { type: 'string', description: 'What went wrong' } },
        required: ['error'],
      },
    },
  },
});

const itemResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Item' } } },
});

const itemIdParam = {
  name: 'itemId',
  in: 'path',
  required: true,
  description: 'Id of the item',
  schema: { type: 'string', format: 'uuid' },
};

/** The service's OpenAPI 3.0 document (identical to test/fixtures/openapi/items.json). */
export const itemsOpenAPI = {
  openapi: '3.0.3',
  info: {
    title: 'Items',
    version: '1.0.0',
    description: 'A small stateful inventory of items, each with a name and a quantity.',
  },
  paths: {
    '/items': {
      post: {
        operationId: 'createItem',
        summary: 'Create an item',
        description: 'Create an item with a name and a quantity; returns it with its new id.',
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { $ref: '#/components/schemas/NewItem' } } },
        },
        responses: {
          '201': itemResponse('The created item, with its id'),
          '400': errorResponse('The body is not a valid item'),
        },
      },
      get: {
        operationId: 'listItems',
        summary: 'List all items',
        description: 'List all items.',
        responses: {
          '200': {
            description: 'All items',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    items: {
                      type: 'array',
                      description: 'The items',
                      items: { $ref: '#/components/schemas/Item' },
                    },
                  },
                  required: ['items'],
                },
              },
            },
          },
        },
      },
    },
    '/items/{itemId}': {
      parameters: [itemIdParam],
      get: {
        operationId: 'getItem',
        summary: 'Get an item',
        description: 'Get the item with the given id.',
        responses: {
          '200': itemResponse('The item'),
          '404': errorResponse('No item has this id'),
        },
      },
      patch: {
        operationId: 'updateItem',
        summary: 'Update an item',
        description: 'Change the name and/or the quantity of the item with the given id; returns the item.',
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { $ref: '#/components/schemas/ItemUpdate' } } },
        },
        responses: {
          '200': itemResponse('The updated item'),
          '400': errorResponse('The body is not a valid update'),
          '404': errorResponse('No item has this id'),
        },
      },
      delete: {
        operationId: 'deleteItem',
        summary: 'Delete an item',
        description: 'Delete the item with the given id.',
        responses: {
          '204': { description: 'The item was deleted' },
          '404': errorResponse('No item has this id'),
        },
      },
    },
  },
  components: {
    schemas: {
      NewItem: {
        type: 'object',
        properties: {
          name: { type: 'string', description: 'Name of the item' },
          quantity: { type: 'integer', minimum: 0, description: 'Quantity of the item in stock' },
        },
        required: ['name', 'quantity'],
      },
      ItemUpdate: {
        type: 'object',
        properties: {
          name: { type: 'string', description: 'New name of the item' },
          quantity: { type: 'integer', minimum: 0, description: 'New quantity of the item' },
        },
      },
      Item: itemSchema,
    },
  },
};

const isQuantity = (q: unknown): q is number => typeof q === 'number' && Number.isInteger(q) && q >= 0;

/** Validates a seed/created item; returns a message when it is not one. */
function badItem(v: unknown, needId: boolean): string | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'an item must be an object';
  const o = v as Record<string, unknown>;
  if (needId && typeof o.id !== 'string') return 'id must be a string';
  if (typeof o.name !== 'string') return 'name must be a string';
  if (!isQuantity(o.quantity)) return 'quantity must be an integer >= 0';
  return undefined;
}

/** The service's OpenAPI document as a file (pools take documents from files). */
export const ITEMS_DOC_FILE = path.join(__dirname, '..', 'fixtures', 'openapi', 'items.json');

export async function startItemsService(
  opts: { initial?: Item[]; port?: number } = {},
): Promise<ItemsService> {
  const items = new Map<string, Item>();
  // a request naming a scope (header X-Magnet-Scope: one conversation) sees that scope's items only
  const scopes = new Map<string, Map<string, Item>>();
  const storeOf = (scope: string | string[] | undefined): Map<string, Item> => {
    if (typeof scope !== 'string' || scope === '') return items;
    let store = scopes.get(scope);
    if (!store) scopes.set(scope, (store = new Map()));
    return store;
  };
  const seedInto = (store: Map<string, Item>, list: Item[]): void => {
    store.clear();
    for (const i of list) store.set(i.id, { id: i.id, name: i.name, quantity: i.quantity });
  };
  seedInto(items, opts.initial ?? []);
  const requests: ItemsRequest[] = [];

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const items = storeOf(req.headers['x-magnet-scope']);
      const seed = (list: Item[]): void => seedInto(items, list);
      const text = Buffer.concat(chunks).toString('utf8');
      const method = req.method ?? '';
      const send = (status: number, value?: unknown): void => {
        requests.push({ method, url: req.url ?? '', status });
        if (value === undefined) res.writeHead(status).end();
        else res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      };
      const error = (status: number, message: string): void => send(status, { error: message });
      const json = (): { ok: true; value: unknown } | { ok: false } => {
        try {
          return { ok: true, value: JSON.parse(text) as unknown };
        } catch {
          return { ok: false };
        }
      };
      const { pathname } = new URL(req.url ?? '/', 'http://localhost');

      if (pathname === '/openapi.json' && method === 'GET') return send(200, itemsOpenAPI);
      if (pathname === '/_reset' && method === 'POST') {
        const body = json();
        if (!body.ok || !Array.isArray(body.value))
          return error(400, 'the body must be a JSON array of items');
        for (const v of body.value) {
          const bad = badItem(v, true);
          if (bad) return error(400, bad);
        }
        seed(body.value as Item[]);
        return send(200, { items: [...items.values()] });
      }
      if (pathname === '/items') {
        if (method === 'GET') return send(200, { items: [...items.values()] });
        if (method === 'POST') {
          const body = json();
          if (!body.ok) return error(400, 'the body is not JSON');
          const bad = badItem(body.value, false);
          if (bad) return error(400, bad);
          const v = body.value as { name: string; quantity: number };
          const item: Item = { id: randomUUID(), name: v.name, quantity: v.quantity };
          items.set(item.id, item);
          return send(201, item);
        }
        return error(405, `method ${method} not allowed on /items`);
      }
      const m = /^\/items\/([^/]+)$/.exec(pathname);
      if (!m || m[1] === undefined) return error(404, `no route ${pathname}`);
      const id = decodeURIComponent(m[1]);
      const item = items.get(id);
      if (method !== 'GET' && method !== 'PATCH' && method !== 'DELETE')
        return error(405, `method ${method} not allowed on /items/{itemId}`);
      if (!item) return error(404, `item ${id} not found`);
      if (method === 'GET') return send(200, item);
      if (method === 'DELETE') {
        items.delete(id);
        return send(204);
      }
      const body = json();
      if (!body.ok || typeof body.value !== 'object' || body.value === null || Array.isArray(body.value))
        return error(400, 'the body must be a JSON object');
      const patch = body.value as Record<string, unknown>;
      if (patch.name !== undefined && typeof patch.name !== 'string')
        return error(400, 'name must be a string');
      if (patch.quantity !== undefined && !isQuantity(patch.quantity))
        return error(400, 'quantity must be an integer >= 0');
      if (typeof patch.name === 'string') item.name = patch.name;
      if (isQuantity(patch.quantity)) item.quantity = patch.quantity;
      return send(200, item);
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}`,
    requests,
    items,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}

/** An http://127.0.0.1:<port> URL nothing listens on (a port bound, read and released): connections are refused. */
export async function refusingURL(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
  return `http://127.0.0.1:${port}`;
}
