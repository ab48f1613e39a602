import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { itemsOpenAPI, refusingURL, startItemsService, type ItemsService } from '../helpers/items-service';

/** Smoke tests of the stateful fixtures: the bank MCP server and the items HTTP service. */

const BANK = path.join(__dirname, '..', 'fixtures', 'mcp', 'bank-server.js');
const ITEMS_DOC = path.join(__dirname, '..', 'fixtures', 'openapi', 'items.json');

const STATE = {
  users: [
    { username: 'carol', password: 'pw-carol' },
    { username: 'dave', password: 'pw-dave' },
  ],
  accounts: [
    { account_id: 'ACC-7', owner: 'carol', balance: 50 },
    { account_id: 'ACC-8', owner: 'carol', balance: 10.25 },
    { account_id: 'ACC-9', owner: 'dave', balance: 5 },
  ],
};

interface ToolResult {
  isError?: boolean;
  content: { type: string; text?: string }[];
  structuredContent?: Record<string, unknown>;
}

describe('bank MCP server', () => {
  let dir: string;
  const clients: Client[] = [];

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'magnet-bank-'));
    writeFileSync(path.join(dir, 'state.json'), JSON.stringify(STATE));
  });
  afterAll(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  async function connect(env: Record<string, string> = {}): Promise<Client> {
    const client = new Client({ name: 'magnet-test', version: '1' });
    clients.push(client);
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [BANK, '--state', path.join(dir, 'state.json')],
        env: { ...(process.env as Record<string, string>), ...env },
        stderr: 'ignore',
      }),
    );
    return client;
  }
  const call = async (c: Client, name: string, args: Record<string, unknown> = {}): Promise<ToolResult> =>
    (await c.callTool({ name, arguments: args })) as ToolResult;
  const text = (r: ToolResult): string => r.content[0]?.text ?? '';

  it('lists its tools, requires a login, and grounds calls in the state file', async () => {
    const c = await connect();
    const { tools } = await c.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(
      [
        'get_balance',
        'get_transfer',
        'list_accounts',
        'list_users',
        'login',
        'open_account',
        'transfer',
      ].sort(),
    );
    expect(tools.find((t) => t.name === 'get_balance')?.annotations?.readOnlyHint).toBe(true);

    const denied = await call(c, 'list_accounts');
    expect(denied.isError).toBe(true);
    expect(text(denied)).toBe('User not authenticated');
    const users = await call(c, 'list_users');
    expect(users.structuredContent).toEqual({ users: [{ username: 'carol' }, { username: 'dave' }] });

    expect((await call(c, 'login', { username: 'carol', password: 'wrong' })).isError).toBe(true);
    const login = await call(c, 'login', { username: 'carol', password: 'pw-carol' });
    expect(login.structuredContent).toEqual({ session_user: 'carol' });
    expect(JSON.parse(text(await call(c, 'list_accounts')))).toEqual({
      accounts: [
        { account_id: 'ACC-7', balance: 50 },
        { account_id: 'ACC-8', balance: 10.25 },
      ],
    });
    const other = await call(c, 'get_balance', { account_id: 'ACC-9' });
    expect(other.isError).toBe(true);
    expect(text(other)).toBe('Account ACC-9 not found');

    const transfer = await call(c, 'transfer', {
      from_account_id: 'ACC-7',
      to_account_id: 'ACC-9',
      amount: 20,
    });
    expect(transfer.isError).toBeFalsy();
    expect(transfer.structuredContent).toEqual({ transfer_id: 'TR-1', from_balance: 30 });
    expect((await call(c, 'get_balance', { account_id: 'ACC-7' })).structuredContent).toEqual({
      account_id: 'ACC-7',
      balance: 30,
    });
    expect((await call(c, 'get_transfer', { transfer_id: 'TR-1' })).structuredContent).toEqual({
      transfer_id: 'TR-1',
      from_account_id: 'ACC-7',
      to_account_id: 'ACC-9',
      amount: 20,
    });
    const broke = await call(c, 'transfer', { from_account_id: 'ACC-8', to_account_id: 'ACC-7', amount: 11 });
    expect(broke.isError).toBe(true);
    expect(text(broke)).toMatch(/Insufficient funds/);

    const opened = await call(c, 'open_account', { initial_deposit: 5 });
    expect(opened.structuredContent).toEqual({ account_id: 'ACC-10' });
    expect((await call(c, 'login', { username: 'dave', password: 'pw-dave' })).isError).toBeFalsy();
    expect((await call(c, 'get_balance', { account_id: 'ACC-9' })).structuredContent).toEqual({
      account_id: 'ACC-9',
      balance: 25,
    });
  });

  it('crashes on every call with CRASH=1', async () => {
    const c = await connect({ CRASH: '1' });
    await expect(call(c, 'list_users')).rejects.toThrow(/Connection closed/i);
  });
});

describe('items service', () => {
  let svc: ItemsService;
  beforeAll(async () => {
    svc = await startItemsService();
  });
  afterAll(() => svc.close());

  it('creates an item and gets it by the returned id; an unknown id is a 404', async () => {
    const created = await fetch(`${svc.baseURL}/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bolt', quantity: 3 }),
    });
    expect(created.status).toBe(201);
    const item = (await created.json()) as { id: string; name: string; quantity: number };
    expect(item).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), name: 'bolt', quantity: 3 });

    const got = await fetch(`${svc.baseURL}/items/${item.id}`);
    expect(got.status).toBe(200);
    expect(await got.json()).toEqual(item);

    const unknown = '00000000-0000-4000-8000-000000000000';
    const missing = await fetch(`${svc.baseURL}/items/${unknown}`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: `item ${unknown} not found` });
    expect(svc.requests.map((r) => `${r.method} ${r.status}`)).toEqual(['POST 201', 'GET 200', 'GET 404']);
  });

  it('reseeds with POST /_reset, patches and deletes', async () => {
    const seed = [{ id: '11111111-1111-4111-8111-111111111111', name: 'nut', quantity: 1 }];
    expect(
      (await fetch(`${svc.baseURL}/_reset`, { method: 'POST', body: JSON.stringify(seed) })).status,
    ).toBe(200);
    expect(await (await fetch(`${svc.baseURL}/items`)).json()).toEqual({ items: seed });
    const patched = await fetch(`${svc.baseURL}/items/${seed[0]?.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ quantity: 9 }),
    });
    expect(await patched.json()).toEqual({ ...seed[0], quantity: 9 });
    expect((await fetch(`${svc.baseURL}/items/${seed[0]?.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(svc.items.size).toBe(0);
  });

  it('serves its document, identical to the fixture file, without /_reset', async () => {
    expect(JSON.parse(readFileSync(ITEMS_DOC, 'utf8'))).toEqual(itemsOpenAPI);
    expect(await (await fetch(`${svc.baseURL}/openapi.json`)).json()).toEqual(itemsOpenAPI);
    expect(Object.keys(itemsOpenAPI.paths)).not.toContain('/_reset');
  });

  it('refusingURL refuses connections', async () => {
    const url = await refusingURL();
    const err = await fetch(url).then(
      () => undefined,
      (e: Error & { cause?: { code?: string } }) => e,
    );
    expect(err?.cause?.code).toBe('ECONNREFUSED');
  });
});
