import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import {
  describeConnection,
  loadConnectionSettings,
  temporalConnection,
  type TemporalConnection,
} from '../../src/server/connection';
import { connectClient } from '../../src/client';
import { ensureTemporal } from '../../src/server/dev-server';
import { installRuntime } from '../../src/worker';

const ROOT = path.join(__dirname, '..', '..');
const API_KEY = 'sk-magnet-test-do-not-log-0123456789';

/** A folder standing in for $HOME, so the machine's own ~/.config/temporalio/temporal.toml never leaks in. */
function tmp(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'magnet-conn-'));
}

function write(file: string, text: string): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

/** A config error is one line that names what to fix, and never shows the API key. */
function expectOneLine(err: Error, ...parts: (string | RegExp)[]): void {
  expect(err.name).toBe('ConfigError');
  expect(err.message).not.toContain('\n');
  expect(err.message).not.toContain(API_KEY);
  for (const p of parts) expect(err.message).toMatch(p);
}

const PROFILES = `
[profile.default]
address = "temporal.internal:7233"
namespace = "magnet"

[profile.cloud]
address = "magnet.a1b2c.tmprl.cloud:7233"
namespace = "magnet.a1b2c"
api_key = "${API_KEY}"

[profile.cloud.grpc_meta]
x-magnet-test = "yes"
`;

describe('connection settings from the standard Temporal env config', () => {
  it('nothing configured: no address (magnet will use its local dev server), namespace default, plaintext', () => {
    const env = { HOME: tmp() };
    const s = loadConnectionSettings(env);
    expect(s).toEqual({ namespace: 'default' });
    expect(temporalConnection('127.0.0.1:7233', env)).toEqual({
      address: '127.0.0.1:7233',
      namespace: 'default',
    });
    expectOneLine(
      errorOf(() => temporalConnection(undefined, env)),
      /TEMPORAL_ADDRESS/,
    );
  });

  it('TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE / TEMPORAL_API_KEY: an API key turns TLS on', () => {
    const env = {
      HOME: tmp(),
      TEMPORAL_ADDRESS: 'magnet.a1b2c.tmprl.cloud:7233',
      TEMPORAL_NAMESPACE: 'magnet.a1b2c',
      TEMPORAL_API_KEY: API_KEY,
    };
    const c = temporalConnection(undefined, env);
    expect(c).toEqual({
      address: 'magnet.a1b2c.tmprl.cloud:7233',
      namespace: 'magnet.a1b2c',
      tls: true,
      apiKey: API_KEY,
    });
    const line = describeConnection(c);
    expect(line).toBe('magnet.a1b2c.tmprl.cloud:7233 namespace magnet.a1b2c, TLS, API key');
    expect(line).not.toContain(API_KEY);
    // an explicit TEMPORAL_TLS=false wins (e.g. an API-key proxy on a private network)
    expect(temporalConnection(undefined, { ...env, TEMPORAL_TLS: 'false' }).tls).toBe(false);
    expect(
      temporalConnection(undefined, { ...env, TEMPORAL_API_KEY: undefined, TEMPORAL_TLS: 'true' }),
    ).toEqual({
      address: 'magnet.a1b2c.tmprl.cloud:7233',
      namespace: 'magnet.a1b2c',
      tls: {},
    });
  });

  it('TOML profile file: TEMPORAL_CONFIG_FILE + TEMPORAL_PROFILE, env on top, grpc_meta as headers', () => {
    const dir = tmp();
    const file = write(path.join(dir, 'temporal.toml'), PROFILES);
    const base = { HOME: dir, TEMPORAL_CONFIG_FILE: file };
    expect(loadConnectionSettings(base)).toEqual({
      address: 'temporal.internal:7233',
      namespace: 'magnet',
      profile: 'default',
      configFile: file,
    });
    const cloud = loadConnectionSettings({ ...base, TEMPORAL_PROFILE: 'cloud' });
    expect(cloud).toEqual({
      address: 'magnet.a1b2c.tmprl.cloud:7233',
      namespace: 'magnet.a1b2c',
      tls: true,
      apiKey: API_KEY,
      metadata: { 'x-magnet-test': 'yes' },
      profile: 'cloud',
      configFile: file,
    });
    expect(describeConnection(cloud)).not.toContain(API_KEY);
    // environment variables override the profile field by field
    const over = temporalConnection(undefined, {
      ...base,
      TEMPORAL_PROFILE: 'cloud',
      TEMPORAL_NAMESPACE: 'other.a1b2c',
      TEMPORAL_GRPC_META_X_EXTRA: 'v',
    });
    expect(over).toMatchObject({ namespace: 'other.a1b2c', apiKey: API_KEY, tls: true });
    expect(over.metadata).toEqual({ 'x-magnet-test': 'yes', 'x-extra': 'v' });
  });

  it('the default file ~/.config/temporalio/temporal.toml (or $XDG_CONFIG_HOME) is read when present', () => {
    const home = tmp();
    write(path.join(home, '.config', 'temporalio', 'temporal.toml'), PROFILES);
    expect(loadConnectionSettings({ HOME: home }).address).toBe('temporal.internal:7233');
    const xdg = tmp();
    write(path.join(xdg, 'temporalio', 'temporal.toml'), PROFILES);
    expect(
      loadConnectionSettings({ HOME: tmp(), XDG_CONFIG_HOME: xdg, TEMPORAL_PROFILE: 'cloud' }).namespace,
    ).toBe('magnet.a1b2c');
  });

  it('TLS files (mTLS pair, server CA, server name) from env or profile reach the connection options as bytes', () => {
    const dir = tmp();
    const crt = write(path.join(dir, 'client.pem'), 'CERT-BYTES');
    const key = write(path.join(dir, 'client.key'), 'KEY-BYTES');
    const ca = write(path.join(dir, 'ca.pem'), 'CA-BYTES');
    const fromEnv = temporalConnection(undefined, {
      HOME: dir,
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_TLS_CLIENT_CERT_PATH: crt,
      TEMPORAL_TLS_CLIENT_KEY_PATH: key,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca,
      TEMPORAL_TLS_SERVER_NAME: 'frontend.temporal',
    });
    const file = write(
      path.join(dir, 'mtls.toml'),
      `[profile.default]\naddress = "temporal.internal:7233"\n[profile.default.tls]\nclient_cert_path = "${crt}"\nclient_key_path = "${key}"\nserver_ca_cert_path = "${ca}"\nserver_name = "frontend.temporal"\n`,
    );
    const fromToml = temporalConnection(undefined, { HOME: dir, TEMPORAL_CONFIG_FILE: file });
    for (const c of [fromEnv, fromToml]) {
      const tls = c.tls as Exclude<TemporalConnection['tls'], boolean | undefined>;
      expect(tls.serverNameOverride).toBe('frontend.temporal');
      expect(Buffer.from(tls.serverRootCACertificate ?? []).toString()).toBe('CA-BYTES');
      expect(Buffer.from(tls.clientCertPair?.crt ?? []).toString()).toBe('CERT-BYTES');
      expect(Buffer.from(tls.clientCertPair?.key ?? []).toString()).toBe('KEY-BYTES');
      expect(describeConnection(c)).toBe('temporal.internal:7233 namespace default, mTLS');
    }
  });

  it('without a configured address (local dev server) credentials and TLS are not used', () => {
    const env = {
      HOME: tmp(),
      TEMPORAL_API_KEY: API_KEY,
      TEMPORAL_TLS: 'true',
      TEMPORAL_NAMESPACE: 'default',
    };
    expect(temporalConnection('127.0.0.1:7233', env)).toEqual({
      address: '127.0.0.1:7233',
      namespace: 'default',
    });
  });

  it('errors are one clear line: unreadable cert, half an mTLS pair, unknown profile, missing or bad config file', () => {
    const dir = tmp();
    const file = write(path.join(dir, 'temporal.toml'), PROFILES);
    const env = { HOME: dir, TEMPORAL_ADDRESS: 'temporal.internal:7233', TEMPORAL_API_KEY: API_KEY };
    const missing = path.join(dir, 'nope', 'client.pem');
    expectOneLine(
      errorOf(() =>
        loadConnectionSettings({
          ...env,
          TEMPORAL_TLS_CLIENT_CERT_PATH: missing,
          TEMPORAL_TLS_CLIENT_KEY_PATH: missing,
        }),
      ),
      'TLS client certificate',
      missing,
      'TEMPORAL_TLS_CLIENT_CERT_PATH',
      /ENOENT/,
    );
    expectOneLine(
      errorOf(() => loadConnectionSettings({ ...env, TEMPORAL_TLS_SERVER_CA_CERT_PATH: dir })),
      'TLS server CA certificate',
      /EISDIR/,
    );
    const crt = write(path.join(dir, 'client.pem'), 'CERT');
    expectOneLine(
      errorOf(() => loadConnectionSettings({ ...env, TEMPORAL_TLS_CLIENT_CERT_PATH: crt })),
      'certificate is set without its key',
    );
    expectOneLine(
      errorOf(() =>
        loadConnectionSettings({ ...env, TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'staging' }),
      ),
      `TEMPORAL_PROFILE=staging: no [profile.staging] in ${file}`,
    );
    expectOneLine(
      errorOf(() => loadConnectionSettings({ ...env, TEMPORAL_PROFILE: 'staging' })),
      'TEMPORAL_PROFILE=staging: no Temporal config file',
    );
    expectOneLine(
      errorOf(() => loadConnectionSettings({ ...env, TEMPORAL_CONFIG_FILE: path.join(dir, 'missing.toml') })),
      'TEMPORAL_CONFIG_FILE',
      'missing.toml',
      /ENOENT/,
    );
    const bad = write(
      path.join(dir, 'bad.toml'),
      `[profile.default\naddress = "x"\napi_key = "${API_KEY}"\n`,
    );
    expectOneLine(
      errorOf(() => loadConnectionSettings({ ...env, TEMPORAL_CONFIG_FILE: bad })),
      bad,
    );
  });

  it('ensureTemporal and connectClient use the profile address, so no local dev server is started', async () => {
    const dir = tmp();
    const file = write(
      path.join(dir, 'temporal.toml'),
      `[profile.remote]\naddress = "${process.env.TEMPORAL_ADDRESS}"\nnamespace = "default"\n`,
    );
    const saved = { ...process.env };
    try {
      delete process.env.TEMPORAL_ADDRESS;
      process.env.TEMPORAL_CONFIG_FILE = file;
      process.env.TEMPORAL_PROFILE = 'remote';
      const server = await ensureTemporal();
      expect(server).toEqual({ address: saved.TEMPORAL_ADDRESS, local: false });
      const client = await connectClient(server.address);
      try {
        expect(client.options.namespace).toBe('default');
        await client.workflowService.getSystemInfo({});
      } finally {
        await client.connection.close();
      }
    } finally {
      process.env = saved;
    }
  });

  it('the CLI reports a config error in one line', () => {
    if (!existsSync(path.join(ROOT, 'dist', 'src', 'cli', 'bin.js')))
      throw new Error('build first: npm run build');
    const dir = tmp();
    const file = write(path.join(dir, 'temporal.toml'), PROFILES);
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'magnet.js'), 'runs'], {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        HOME: dir,
        MAGNET_HOME: dir,
        TEMPORAL_CONFIG_FILE: file,
        TEMPORAL_PROFILE: 'staging',
        TEMPORAL_API_KEY: API_KEY,
      },
      timeout: 60_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`error: TEMPORAL_PROFILE=staging: no [profile.staging] in ${file}\n`);
  });
});

/**
 * A stand-in Temporal frontend: answers every gRPC call with an empty message (a valid GetSystemInfo
 * response) and records what the client sent: path, headers, and over TLS the client certificate's CN.
 */
interface Seen {
  path: string;
  userAgent?: string;
  authorization?: string;
  extra?: string;
  clientCN?: string;
}

async function fakeFrontend(tls?: {
  key: Buffer;
  cert: Buffer;
  ca: Buffer;
}): Promise<{ address: string; seen: Seen[]; close: () => Promise<void> }> {
  const seen: Seen[] = [];
  const server = tls
    ? http2.createSecureServer({ ...tls, requestCert: true, rejectUnauthorized: false, allowHTTP1: false })
    : http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s: http2.ServerHttp2Session) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  server.on('stream', (stream, headers) => {
    const socket = stream.session?.socket as TLSSocket | undefined;
    const peer = tls && socket?.getPeerCertificate ? socket.getPeerCertificate() : undefined;
    seen.push({
      path: String(headers[':path']),
      userAgent: headers['user-agent'],
      authorization: headers.authorization as string | undefined,
      extra: headers['x-magnet-test'] as string | undefined,
      clientCN: peer && 'subject' in peer && peer.subject ? String(peer.subject.CN) : undefined,
    });
    stream.on('data', () => undefined);
    stream.on('end', () => {
      if (stream.destroyed) return;
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(Buffer.from([0, 0, 0, 0, 0]));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    address: `127.0.0.1:${port}`,
    seen,
    close: async () => {
      for (const s of sessions) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A CA, a server certificate for localhost and a client certificate, made with openssl. */
function makeCerts(
  dir: string,
): Record<'ca' | 'serverKey' | 'serverCert' | 'clientKey' | 'clientCert', string> {
  const f = (n: string): string => path.join(dir, n);
  const run = (args: string[]): void => {
    const r = spawnSync('openssl', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args[0]}: ${r.stderr}`);
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=magnet-test-ca',
  ]);
  for (const [name, cn, ext] of [
    ['server', 'localhost', 'subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n'],
    ['client', 'magnet-test-worker', 'extendedKeyUsage=clientAuth\n'],
  ] as const) {
    run(['req', ...ec, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=${cn}`]);
    writeFileSync(f(`${name}.ext`), `basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n${ext}`);
    run([
      'x509',
      '-req',
      '-in',
      f(`${name}.csr`),
      '-CA',
      f('ca.pem'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      f(`${name}.ext`),
      '-out',
      f(`${name}.pem`),
    ]);
  }
  return {
    ca: f('ca.pem'),
    serverKey: f('server.key'),
    serverCert: f('server.pem'),
    clientKey: f('client.key'),
    clientCert: f('client.pem'),
  };
}

const haveOpenssl = spawnSync('openssl', ['version']).status === 0;

describe('the options reach the client (grpc-js) and the worker (Rust core) connections', () => {
  beforeAll(() => installRuntime(process.env.MAGNET_LOG_LEVEL ? undefined : 'ERROR'));

  it('API key as a bearer token and the profile grpc_meta headers, plaintext with TEMPORAL_TLS=false', async () => {
    const fake = await fakeFrontend();
    try {
      const dir = tmp();
      const file = write(path.join(dir, 'temporal.toml'), PROFILES);
      const env = {
        HOME: dir,
        TEMPORAL_CONFIG_FILE: file,
        TEMPORAL_PROFILE: 'cloud',
        TEMPORAL_ADDRESS: fake.address,
        TEMPORAL_TLS: 'false',
      };
      const { namespace, ...options } = temporalConnection(undefined, env);
      expect(namespace).toBe('magnet.a1b2c');
      const client = await Connection.connect(options);
      await client.close();
      const native = await NativeConnection.connect(options);
      await native.close();
      const calls = fake.seen.filter((s) => s.path.endsWith('/GetSystemInfo'));
      // one from the client (grpc-js), one from the worker connection (Rust core, tonic)
      expect(calls.map((c) => c.userAgent?.split('/')[0]).sort()).toEqual(['grpc-node-js', 'tonic']);
      for (const c of calls) {
        expect(c.authorization).toBe(`Bearer ${API_KEY}`);
        expect(c.extra).toBe('yes');
      }
    } finally {
      await fake.close();
    }
  });

  (haveOpenssl ? it : it.skip)(
    'mTLS: server CA, server name override and client certificate from the env config',
    async () => {
      const dir = tmp();
      const certs = makeCerts(dir);
      const fake = await fakeFrontend({
        key: readFileSync(certs.serverKey),
        cert: readFileSync(certs.serverCert),
        ca: readFileSync(certs.ca),
      });
      try {
        const env = {
          HOME: dir,
          TEMPORAL_ADDRESS: fake.address,
          TEMPORAL_API_KEY: API_KEY,
          TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.ca,
          TEMPORAL_TLS_SERVER_NAME: 'localhost',
          TEMPORAL_TLS_CLIENT_CERT_PATH: certs.clientCert,
          TEMPORAL_TLS_CLIENT_KEY_PATH: certs.clientKey,
        };
        const { namespace: _ns, ...options } = temporalConnection(undefined, env);
        const client = await Connection.connect(options);
        await client.close();
        const native = await NativeConnection.connect(options);
        await native.close();
        const calls = fake.seen.filter((s) => s.path.endsWith('/GetSystemInfo'));
        // one from the client (grpc-js), one from the worker connection (Rust core, tonic)
        expect(calls.map((c) => c.userAgent?.split('/')[0]).sort()).toEqual(['grpc-node-js', 'tonic']);
        for (const c of calls) {
          expect(c.clientCN).toBe('magnet-test-worker');
          expect(c.authorization).toBe(`Bearer ${API_KEY}`);
        }
      } finally {
        await fake.close();
      }
    },
  );
});
