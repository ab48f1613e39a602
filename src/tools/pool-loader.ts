import { promises as fs } from 'node:fs';
import path from 'node:path';
import {
  mergeFunctions,
  parsePoolText,
  PoolError,
  type FunctionDef,
  type Pool,
  type ToolSource,
} from '../core/pool';
import { withLocalRefsInlined } from '../core/schema-refs';
import { stableStringify } from '../io/files';
import { builtinPoolDir } from '../io/pool-paths';
import { findToolSet } from './builtin';
import { loadSourceFunctions } from './sources';
import { checkSetup, withStates } from './states';

const POOL_EXT = /\.(json|jsonl|ndjson|ya?ml)$/i;

/**
 * Loads a pool from files and folders (recursively; a file's category defaults to its base name) and from
 * sources that execute their own tools (MCP servers, OpenAPI services), which the pool keeps for workers.
 * Every function says who executes it (`impl`, see bindFile).
 */
export async function loadPool(paths: readonly string[], sources: readonly ToolSource[] = []): Promise<Pool> {
  const files: string[] = [];
  for (const p of paths) {
    if (p === STDIN) {
      files.push(p);
      continue;
    }
    let stat;
    try {
      stat = await fs.stat(p);
    } catch {
      throw new PoolError(`${p}: pool file or folder not found`);
    }
    if (stat.isDirectory()) files.push(...(await listPoolFiles(p)));
    else files.push(p);
  }
  if (files.length === 0 && sources.length === 0)
    throw new PoolError(`${paths.join(', ')}: no .json/.jsonl/.yaml pool files found`);
  const builtin = await builtinDefinitions();
  const lists = [];
  for (const file of files) lists.push((await readPoolFile(file)).map((f) => bindFile(f, builtin)));
  // a `states` file or folder is read now: the stored pool carries the states to every worker, and a server
  // listed now starts from its first state (one that needs its state file to start)
  const stateful = await Promise.all(sources.map(withStates));
  for (const source of stateful) {
    checkSetup(source);
    const fns = await loadSourceFunctions(source);
    checkObserve(source, fns);
    lists.push(fns);
  }
  // a parameter `{"$ref": "#/$defs/Address"}` is read on its own by values, simulator and graph: inline it
  const pool = mergeFunctions(lists.map((fns) => fns.map(withLocalRefsInlined)));
  return sources.length > 0 ? { ...pool, sources: stateful } : pool;
}

/** A source's `observe` names only tools it offers (a typo must not silently observe nothing). */
function checkObserve(source: ToolSource, fns: readonly FunctionDef[]): void {
  const observe = (source as { observe?: (string | { tool: string })[] }).observe ?? [];
  for (const e of observe) {
    const name = typeof e === 'string' ? e : e.tool;
    if (!fns.some((f) => f.name === name))
      throw new PoolError(
        `${source.kind === 'mcp' ? 'MCP server' : 'OpenAPI source'} ${source.name}: field observe: it offers no tool ${name} (it offers ${fns.map((f) => f.name).join(', ')})`,
      );
  }
}

/** The pool path that reads standard input (`magnet pool inspect -`: a tool file or a server's dump piped in). */
export const STDIN = '-';

async function readPoolFile(file: string): Promise<FunctionDef[]> {
  if (file === STDIN) return parsePoolText(await readStdin(), 'standard input', 'stdin');
  const text = await fs.readFile(file, 'utf8');
  return parsePoolText(text, file, path.basename(file).replace(POOL_EXT, ''));
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

let builtinCache: Promise<Map<string, FunctionDef>> | undefined;

/** The built-in pool's definitions by name (read once per process). */
function builtinDefinitions(): Promise<Map<string, FunctionDef>> {
  builtinCache ??= (async () => {
    const defs = new Map<string, FunctionDef>();
    for (const file of await listPoolFiles(builtinPoolDir()))
      for (const f of await readPoolFile(file)) defs.set(f.name, f);
    return defs;
  })();
  return builtinCache;
}

/** What decides that a file's function is the built-in one: its name, parameters and output schema. */
function signature(f: FunctionDef): string {
  return stableStringify({ name: f.name, parameters: f.parameters, output: f.output ?? null });
}

/**
 * Who executes a function read from a file. Built-in code runs only a definition of the built-in pool (the
 * `builtin` entry, examples/pool, or a copy of one of its definitions with the same name, parameters and
 * output), so configs pointing at copies of the examples keep their real outputs; any other function — a
 * user's `place_order` with its own parameters included — is simulated, never run by the example code that
 * happens to share its name.
 */
function bindFile(f: FunctionDef, builtin: ReadonlyMap<string, FunctionDef>): FunctionDef {
  const own = builtin.get(f.name);
  const set = own && signature(own) === signature(f) ? findToolSet(f.name) : undefined;
  return {
    ...f,
    impl: set ? { kind: 'builtin', set: set.name } : { kind: 'simulated' },
    ...(f.output ? { outputOrigin: 'declared' as const } : {}),
  };
}

async function listPoolFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of (await fs.readdir(dir, { withFileTypes: true })).sort((a, b) =>
    a.name < b.name ? -1 : 1,
  )) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listPoolFiles(full)));
    else if (POOL_EXT.test(entry.name)) out.push(full);
  }
  return out;
}
