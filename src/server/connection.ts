import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  loadClientConfigProfile,
  toClientOptions,
  type ClientConfigProfile,
  type ConfigDataSource,
} from '@temporalio/envconfig';
import type { TLSConfig } from '@temporalio/client';
import { ConfigError } from '../io/config-file';

/**
 * How to reach Temporal: the options of `Connection.connect` (client) and `NativeConnection.connect`
 * (worker), plus the namespace for `new Client(...)` and `Worker.create(...)`.
 */
export interface TemporalConnection {
  address: string;
  namespace: string;
  /** `true` = TLS with the system roots; an object for a CA / mTLS client pair / SNI override. */
  tls?: TLSConfig | boolean;
  /** Sent as `Authorization: Bearer ...`; never logged, never part of a workflow input. */
  apiKey?: string;
  /** Extra gRPC headers (profile `grpc_meta`, env `TEMPORAL_GRPC_META_<NAME>`). */
  metadata?: Record<string, string>;
}

/** What the standard Temporal client configuration says; `address` is undefined when nothing sets one. */
export interface ConnectionSettings extends Omit<TemporalConnection, 'address'> {
  address?: string;
  /** The TOML profile used (undefined when no file provides one). */
  profile?: string;
  /** The TOML file read, if any. */
  configFile?: string;
}

type Env = Record<string, string | undefined>;

/** The default TOML file of Temporal's env config: $XDG_CONFIG_HOME or ~/.config, then temporalio/temporal.toml. */
function defaultConfigFile(env: Env): string | undefined {
  if (process.platform === 'win32')
    return env.APPDATA && path.join(env.APPDATA, 'temporalio', 'temporal.toml');
  if (process.platform === 'darwin')
    return env.HOME && path.join(env.HOME, 'Library', 'Application Support', 'temporalio', 'temporal.toml');
  const xdg = env.XDG_CONFIG_HOME;
  if (xdg) return path.isAbsolute(xdg) ? path.join(xdg, 'temporalio', 'temporal.toml') : undefined;
  return env.HOME ? path.join(env.HOME, '.config', 'temporalio', 'temporal.toml') : undefined;
}

function readable(file: string): string | undefined {
  try {
    readFileSync(file);
    return undefined;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  }
}

const TLS_FILES = [
  ['clientCert', 'TLS client certificate', 'TEMPORAL_TLS_CLIENT_CERT_PATH / tls.client_cert_path'],
  ['clientKey', 'TLS client key', 'TEMPORAL_TLS_CLIENT_KEY_PATH / tls.client_key_path'],
  ['serverCACert', 'TLS server CA certificate', 'TEMPORAL_TLS_SERVER_CA_CERT_PATH / tls.server_ca_cert_path'],
] as const;

/**
 * Reads Temporal's standard client configuration, as the Temporal CLI and SDKs do (`@temporalio/envconfig`):
 * the TOML file ($TEMPORAL_CONFIG_FILE, else ~/.config/temporalio/temporal.toml when it exists), its profile
 * ($TEMPORAL_PROFILE, else "default"), then the environment on top: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
 * TEMPORAL_API_KEY, TEMPORAL_TLS, TEMPORAL_TLS_CLIENT_CERT_PATH|_DATA, TEMPORAL_TLS_CLIENT_KEY_PATH|_DATA,
 * TEMPORAL_TLS_SERVER_CA_CERT_PATH|_DATA, TEMPORAL_TLS_SERVER_NAME, TEMPORAL_GRPC_META_*.
 * Every problem is a ConfigError with a one-line message that never contains the API key.
 */
export function loadConnectionSettings(env: Env = process.env): ConnectionSettings {
  const vars = Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined),
  );
  const explicitFile = vars.TEMPORAL_CONFIG_FILE || undefined;
  if (explicitFile) {
    const err = readable(explicitFile);
    if (err) throw new ConfigError(`TEMPORAL_CONFIG_FILE ${explicitFile}: cannot read the file (${err})`);
  }
  const candidate = explicitFile ?? defaultConfigFile(vars);
  const configFile = candidate && !readable(candidate) ? candidate : undefined;
  const profileName = vars.TEMPORAL_PROFILE || undefined;
  if (profileName && !configFile)
    throw new ConfigError(
      `TEMPORAL_PROFILE=${profileName}: no Temporal config file to read it from (set TEMPORAL_CONFIG_FILE${candidate ? ` or create ${candidate}` : ''})`,
    );

  let profile: ClientConfigProfile;
  try {
    profile = loadClientConfigProfile({
      overrideEnvVars: vars,
      configSource: configFile ? { path: configFile } : undefined,
      profile: profileName,
      disableFile: !configFile,
    });
  } catch (e) {
    const first = String((e as Error).message ?? e).split('\n')[0];
    if (/^Profile '.*' not found/.test(first ?? ''))
      throw new ConfigError(`TEMPORAL_PROFILE=${profileName}: no [profile.${profileName}] in ${configFile}`);
    throw new ConfigError(`Temporal client config ${configFile ?? '(environment)'}: ${first}`);
  }

  // Files named by the config must be readable, and an mTLS client pair must be whole: the SDK would
  // otherwise fail later with a less helpful message, or silently connect without a client certificate.
  const tlsCfg = profile.tls;
  if (tlsCfg && !tlsCfg.disabled) {
    for (const [field, what, where] of TLS_FILES) {
      const src: ConfigDataSource | undefined = tlsCfg[field];
      if (src && 'path' in src) {
        const err = readable(src.path);
        if (err) throw new ConfigError(`${what} ${src.path} (${where}): cannot read the file (${err})`);
      }
    }
    if (!!tlsCfg.clientCert !== !!tlsCfg.clientKey)
      throw new ConfigError(
        `TLS: a client ${tlsCfg.clientCert ? 'certificate is set without its key' : 'key is set without its certificate'} (TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH go together)`,
      );
  }

  let options: ReturnType<typeof toClientOptions>;
  try {
    options = toClientOptions(profile);
  } catch (e) {
    throw new ConfigError(`Temporal TLS config: ${String((e as Error).message ?? e).split('\n')[0]}`);
  }
  const c = options.connectionOptions;
  const out: ConnectionSettings = { namespace: options.namespace || 'default' };
  if (c.address) out.address = c.address;
  if (c.tls !== undefined && c.tls !== null) out.tls = c.tls;
  if (typeof c.apiKey === 'string' && c.apiKey) out.apiKey = c.apiKey;
  if (c.metadata && Object.keys(c.metadata).length)
    out.metadata = Object.fromEntries(Object.entries(c.metadata).map(([k, v]) => [k, String(v)]));
  if (configFile) {
    out.configFile = configFile;
    out.profile = profileName ?? 'default';
  }
  return out;
}

/**
 * Connection options and namespace for the server at `address` (default: the configured address). When no
 * address is configured anywhere magnet uses its local dev server, which speaks plain gRPC without
 * credentials: TLS, API key and headers are only used with a configured address.
 */
export function temporalConnection(address?: string, env: Env = process.env): TemporalConnection {
  const s = loadConnectionSettings(env);
  const target = address ?? s.address;
  if (!target)
    throw new ConfigError(
      'no Temporal address: set TEMPORAL_ADDRESS or an address in the Temporal config profile',
    );
  if (!s.address) return { address: target, namespace: s.namespace };
  const out: TemporalConnection = { address: target, namespace: s.namespace };
  if (s.tls !== undefined) out.tls = s.tls;
  if (s.apiKey) out.apiKey = s.apiKey;
  if (s.metadata) out.metadata = s.metadata;
  return out;
}

/** One line for logs: where and how, never the API key or a header value. */
export function describeConnection(c: TemporalConnection | ConnectionSettings): string {
  const tls =
    c.tls === undefined || c.tls === false
      ? 'plaintext'
      : c.tls === true
        ? 'TLS'
        : c.tls.clientCertPair
          ? 'mTLS'
          : 'TLS';
  const parts = [`${c.address ?? '(local dev server)'} namespace ${c.namespace}`, tls];
  if (c.apiKey) parts.push('API key');
  if (c.metadata) parts.push(`headers ${Object.keys(c.metadata).join(',')}`);
  if ('profile' in c && c.profile) parts.push(`profile ${c.profile} (${c.configFile})`);
  return parts.join(', ');
}
