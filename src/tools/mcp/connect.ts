import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { ErrorCode, McpError, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { FixtureState } from '../../core/environment';
import { hash32 } from '../../core/rng';
import { PoolError, type ToolSource } from '../../core/pool';
import { mcpConfigOf, type McpConfig } from './config';

/** How long a server may take to start and answer `initialize`. */
export const CONNECT_TIMEOUT_MS = 20_000;

/** A call's first try without a run's time limit (listing, sample calls): the longest before it counts as hung. */
export const DEFAULT_ATTEMPT_MS = 25_000;

/** One running server (stdio) or session (HTTP): the state of one conversation. */
export interface McpInstance {
  server: string;
  client: Client;
  /** The server's tools, by name. */
  tools: Map<string, Tool>;
  /** Closes the client, stops the process or ends the session, removes its scope folder. */
  close(): Promise<void>;
  /** The server's own cap on a call's first try (its `timeoutSeconds`), if it has one. */
  timeoutMs?: number;
  /** False once the process exited or the connection closed. */
  alive(): boolean;
}

/** A worker variable named by the config (a secret); missing is a configuration error naming it. */
function fromWorkerEnv(server: string, field: string, key: string, variable: string): string {
  const value = process.env[variable];
  if (value === undefined)
    throw new PoolError(
      `MCP server ${server}: ${field}.${key} names ${variable}, which is not set on the worker`,
    );
  return value;
}

/** Where an instance keeps its files: `${scopeDir}` (the server's own) and `${stateFile}` (its state, JSON). */
interface InstanceDirs {
  scopeDir: string;
  stateFile: string;
}

function fillScopeDir(text: string, dirs: InstanceDirs | undefined): string {
  if (!dirs) return text;
  return text.split('${scopeDir}').join(dirs.scopeDir).split('${stateFile}').join(dirs.stateFile);
}

/**
 * Lays out a fresh instance's folders: `${stateFile}` holds the state as JSON, and a fixture state's files
 * are written into `${scopeDir}` (a state file beside it, not in it: a file server lists its folder).
 */
function prepareDirs(base: string, state: unknown): InstanceDirs {
  const dirs = { scopeDir: path.join(base, 'scope'), stateFile: path.join(base, 'state.json') };
  mkdirSync(dirs.scopeDir);
  writeFileSync(dirs.stateFile, JSON.stringify(state ?? null));
  const fixture = FixtureState.safeParse(state);
  if (fixture.success)
    for (const [rel, text] of Object.entries(fixture.data.files)) {
      const file = path.resolve(dirs.scopeDir, rel);
      // a fixture's paths stay inside the scope folder
      if (!file.startsWith(dirs.scopeDir + path.sep)) continue;
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, text);
    }
  return dirs;
}

/**
 * Server stderr goes to the worker log line by line, prefixed with the server's name; with `keep`, the last
 * lines are kept instead (a preflight says in its one line why a server did not start).
 */
function logStderr(server: string, stream: NodeJS.ReadableStream | null, keep?: string[]): void {
  if (!stream) return;
  let rest = '';
  const put = (line: string): void => {
    if (!line.trim()) return;
    if (!keep) process.stderr.write(`[mcp ${server}] ${line}\n`);
    else if (keep.push(line.trim()) > 5) keep.shift();
  };
  stream.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString('utf8')).split('\n');
    rest = lines.pop() ?? '';
    lines.forEach(put);
  });
  stream.on('end', () => put(rest));
}

function transportFor(
  server: string,
  config: McpConfig,
  dir: InstanceDirs | undefined,
  keepStderr?: string[],
): StdioClientTransport | StreamableHTTPClientTransport {
  if ('command' in config) {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(config.env)) env[k] = fillScopeDir(v, dir);
    for (const [k, v] of Object.entries(config.envFrom)) env[k] = fromWorkerEnv(server, 'envFrom', k, v);
    // the SDK adds only HOME, LOGNAME, PATH, SHELL, TERM and USER of the worker to `env`: no worker secrets
    const t = new StdioClientTransport({
      command: config.command,
      args: config.args.map((a) => fillScopeDir(a, dir)),
      env,
      cwd: fillScopeDir(config.cwd ?? process.cwd(), dir),
      stderr: 'pipe',
    });
    logStderr(server, t.stderr as NodeJS.ReadableStream | null, keepStderr);
    return t;
  }
  const headers: Record<string, string> = { ...config.headers };
  for (const [k, v] of Object.entries(config.headersFrom))
    headers[k] = fromWorkerEnv(server, 'headersFrom', k, v);
  return new StreamableHTTPClientTransport(new URL(config.url), { requestInit: { headers } });
}

/** Every tool of a server (pages of `tools/list` followed). */
async function listAllTools(client: Client, options: RequestOptions): Promise<Tool[]> {
  const tools: Tool[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor ? { cursor } : undefined, options);
    tools.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor);
  return tools;
}

/** The placeholders that give a stdio server per-instance files. */
const PLACEHOLDER = /\$\{(scopeDir|stateFile)\}/;

/**
 * Whether a server keeps its state per conversation: an HTTP server has a session per conversation; a stdio
 * server only when `${scopeDir}` or `${stateFile}` appears in its args, env or cwd (else every instance of
 * it, in every conversation and run, reads and writes the same place, if it keeps state at all).
 */
export function statePerConversation(config: McpConfig): boolean {
  if (!('command' in config)) return true;
  return [...config.args, ...Object.values(config.env), config.cwd ?? ''].some((v) => PLACEHOLDER.test(v));
}

/** Scope folders: magnet-mcp-<worker pid>-<server>-..., so a later worker can tell whose they are. */
const FOLDER_PREFIX = 'magnet-mcp-';

/** The folders of this process's live instances, removed at exit whatever way the process ends normally. */
const folders = new Set<string>();
process.once('exit', () => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the scope folders that processes no longer running left in the system temp folder (a worker killed
 * with SIGKILL cannot clean up): called when a worker starts. Returns how many it removed.
 */
export function sweepScopeFolders(tmp = os.tmpdir()): number {
  let removed = 0;
  let names: string[];
  try {
    names = readdirSync(tmp);
  } catch {
    return 0;
  }
  for (const name of names) {
    const pid = Number(/^magnet-mcp-(\d+)-/.exec(name)?.[1]);
    if (!pid || pid === process.pid || alive(pid)) continue;
    rmSync(path.join(tmp, name), { recursive: true, force: true });
    removed++;
  }
  return removed;
}

/**
 * The instance's folder, only for a stdio server that uses one. In a conversation scope: one live instance
 * per scope in this worker process (sessions.ts), so its folder is the same on every rebuild here (paths in
 * outputs replay the same); the process id keeps two workers on one machine from sharing (and deleting) each
 * other's folders. A folder left by a dead instance of this process is stale.
 */
function instanceFolder(source: ToolSource, config: McpConfig, scopeKey?: string): string | undefined {
  if (!('command' in config) || !statePerConversation(config)) return undefined;
  const prefix = path.join(os.tmpdir(), `${FOLDER_PREFIX}${process.pid}-${source.name}-`);
  if (scopeKey === undefined) return mkdtempSync(`${prefix}list-`);
  const dir = `${prefix}${hash32(scopeKey).toString(36)}${hash32(`~${scopeKey}`).toString(36)}`;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  return dir;
}

/** How an instance starts (all optional). */
export interface StartOptions {
  /** The conversation's drawn state (absent: the source's first, for listing its tools). */
  state?: unknown;
  /** The conversation scope: its instances get the same folder, so paths in outputs replay the same. */
  scopeKey?: string;
  /** Gives the start up (the call it is for is out of time). */
  signal?: AbortSignal;
  /** How long starting and listing may take (default CONNECT_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Keep the server's stderr for the error message instead of logging it (a preflight). */
  quiet?: boolean;
}

/**
 * Starts a fresh instance of the source's server (stdio: a new process in a new `${scopeDir}`, its state in
 * `${stateFile}`; HTTP: a new session) and lists its tools. Throws if it does not start or answer in time
 * (with the last lines of its stderr when `quiet`), or when `signal` aborts.
 */
export async function startInstance(source: ToolSource, opts: StartOptions = {}): Promise<McpInstance> {
  const { state, scopeKey, signal } = opts;
  const stderr: string[] | undefined = opts.quiet ? [] : undefined;
  const config = mcpConfigOf(source);
  const dir = instanceFolder(source, config, scopeKey);
  if (dir) folders.add(dir);
  const declared = (source as { states?: unknown }).states;
  const first = Array.isArray(declared) ? (declared[0] as unknown) : undefined;
  const transport = transportFor(
    source.name,
    config,
    dir ? prepareDirs(dir, state ?? first) : undefined,
    stderr,
  );
  const client = new Client({ name: 'magnet', version: '1' });
  let open = true;
  const close = async (): Promise<void> => {
    open = false;
    if (transport instanceof StreamableHTTPClientTransport)
      await transport.terminateSession().catch(() => undefined);
    await client.close().catch(() => undefined);
    if (dir) {
      rmSync(dir, { recursive: true, force: true });
      folders.delete(dir);
    }
  };
  client.onclose = () => void (open = false);
  const timeout = opts.timeoutMs ?? CONNECT_TIMEOUT_MS;
  let stage = 'initialize';
  try {
    const options = { timeout, ...(signal ? { signal } : {}) };
    await client.connect(transport, options);
    stage = 'tools/list';
    const tools = new Map((await listAllTools(client, options)).map((t) => [t.name, t]));
    return {
      server: source.name,
      client,
      tools,
      close,
      alive: () => open,
      ...(config.timeoutSeconds ? { timeoutMs: config.timeoutSeconds * 1000 } : {}),
    };
  } catch (e) {
    await close();
    throw new Error(`MCP server ${source.name} did not start: ${startFailure(e, stage, timeout, stderr)}`);
  }
}

/** Why a server did not start, in words (and what it last said on stderr, when kept). */
function startFailure(e: unknown, stage: string, timeoutMs: number, stderr?: string[]): string {
  const code = e instanceof McpError ? e.code : undefined;
  const errno = (e as NodeJS.ErrnoException).code;
  const said = stderr?.length ? `; its stderr: ${stderr.join(' | ').slice(-300)}` : '';
  if (code === (ErrorCode.RequestTimeout as number))
    return `no answer to ${stage} within ${timeoutMs / 1000} s${said}`;
  if (code === (ErrorCode.ConnectionClosed as number))
    return `it exited or closed the connection before answering ${stage}${said}`;
  if (errno === 'ENOENT') return `command not found (${(e as Error).message})`;
  return `${(e as Error).message}${said}`;
}
