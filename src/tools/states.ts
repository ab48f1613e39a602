import { existsSync, promises as fs, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import {
  drawStates,
  resolveStateRefs,
  SetupCall,
  type DrawnState,
  type StatefulSource,
} from '../core/environment';
import { outsideSourceOf, PoolError, type FunctionDef, type ToolSource } from '../core/pool';

/**
 * A source's declared environment (see core/environment.ts): `states` (a list of JSON values, or a file or
 * folder holding them), `setup` calls and `bfclClass`. These fields are the same for MCP servers and
 * OpenAPI services, so they are taken off the entry here, before its own (strict) schema checks the rest.
 */
export const EnvironmentConfig = z
  .object({
    states: z.union([z.array(z.unknown()).min(1), z.string().min(1)]).optional(),
    setup: z.array(SetupCall).min(1).optional(),
    /** Read-only calls made before each turn to see what exists (default: see tools/observe). */
    observe: z
      .array(
        z.union([
          z.string().min(1),
          z
            .object({ tool: z.string().min(1), arguments: z.record(z.string(), z.unknown()).default({}) })
            .strict(),
        ]),
      )
      .optional(),
    bfclClass: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a Python class name')
      .optional(),
  })
  .strict();
export type EnvironmentConfig = z.infer<typeof EnvironmentConfig>;

const FIELDS = ['states', 'setup', 'bfclClass', 'observe'] as const;

/** The entry without the environment fields, and those fields checked (a `states` path made absolute). */
export function splitEnvironment<T extends object>(
  entry: T,
  baseDir: string,
  where: string,
): { rest: T; env: EnvironmentConfig } {
  const raw = entry as Record<string, unknown>;
  const picked = Object.fromEntries(FIELDS.filter((k) => k in raw).map((k) => [k, raw[k]]));
  const rest = Object.fromEntries(
    Object.entries(raw).filter(([k]) => !(FIELDS as readonly string[]).includes(k)),
  );
  const parsed = EnvironmentConfig.safeParse(picked);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new PoolError(
      `${where}: field ${i?.path.map(String).join('.') ?? '?'}: ${i?.message ?? 'invalid'}`,
    );
  }
  const env = parsed.data;
  if (typeof env.states === 'string') {
    const file = path.resolve(baseDir, env.states);
    if (!existsSync(file)) throw new PoolError(`${where}: field states: ${file} does not exist`);
    env.states = file;
  }
  return { rest: rest as T, env };
}

/** Text files of a fixture folder larger than this in all are refused: states are stored with the pool. */
const MAX_FIXTURE_BYTES = 5_000_000;

async function fixtureFiles(
  dir: string,
  root = dir,
  out: Record<string, string> = {},
): Promise<Record<string, string>> {
  for (const e of (await fs.readdir(dir, { withFileTypes: true })).sort((a, b) =>
    a.name < b.name ? -1 : 1,
  )) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) await fixtureFiles(full, root, out);
    else if (e.isFile())
      out[path.relative(root, full).split(path.sep).join('/')] = await fs.readFile(full, 'utf8');
  }
  return out;
}

/**
 * The states a `states` path holds: a JSON array file, a JSON-lines file (one state per line), or a folder of
 * fixture folders (each becomes `{"$fixture": <folder name>, "files": {<path>: <text>}}`, so a rebuild on
 * any worker recreates it without the folder).
 */
export async function readStates(file: string, where: string): Promise<unknown[]> {
  if (statSync(file).isDirectory()) {
    const dirs = (await fs.readdir(file, { withFileTypes: true }))
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
    if (dirs.length === 0) throw new PoolError(`${where}: field states: ${file} holds no fixture folder`);
    const states = [];
    for (const d of dirs) {
      const files = await fixtureFiles(path.join(file, d));
      const size = Object.values(files).reduce((n, t) => n + Buffer.byteLength(t), 0);
      if (size > MAX_FIXTURE_BYTES)
        throw new PoolError(
          `${where}: field states: fixture ${d} holds ${size} bytes (at most ${MAX_FIXTURE_BYTES})`,
        );
      states.push({ $fixture: d, files });
    }
    return states;
  }
  const text = await fs.readFile(file, 'utf8');
  if (/\.(jsonl|ndjson)$/i.test(file))
    return text
      .split('\n')
      .map((l, i) => [l, i] as const)
      .filter(([l]) => l.trim() !== '')
      .map(([l, i]) => {
        try {
          return JSON.parse(l) as unknown;
        } catch (e) {
          throw new PoolError(`${file} line ${i + 1}: not JSON (${(e as Error).message})`);
        }
      });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new PoolError(`${file}: not JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(parsed) || parsed.length === 0)
    throw new PoolError(`${file}: states must be a non-empty JSON array (or JSON lines, one state per line)`);
  return parsed;
}

/** The source with its `states` read (a path becomes the list it holds), for the stored pool. */
export async function withStates(source: ToolSource): Promise<ToolSource> {
  const s = source as ToolSource & { states?: unknown };
  if (typeof s.states !== 'string') return source;
  return { ...source, states: await readStates(s.states, `${source.kind} source ${source.name}`) };
}

/** A stored source's environment fields (as core/environment reads them). */
export function statefulOf(source: ToolSource): StatefulSource {
  const s = source as ToolSource & Partial<StatefulSource>;
  return {
    name: source.name,
    ...(Array.isArray(s.states) ? { states: s.states } : {}),
    ...(s.setup ? { setup: s.setup } : {}),
    ...(s.bfclClass ? { bfclClass: s.bfclClass } : {}),
  };
}

/** Strips the environment fields from a stored source, for a config schema that knows none of them. */
export function withoutEnvironment(source: ToolSource): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(source).filter(([k]) => !(FIELDS as readonly string[]).includes(k)),
  );
}

/**
 * Every setup call resolves against every state (a `$state` path that leads nowhere in one of them would fail
 * only the conversations that draw it, late and after retries); an OpenAPI service given states but no setup
 * never receives them, which is said once.
 */
export function checkSetup(source: ToolSource): void {
  const s = statefulOf(source);
  const label = `${source.kind === 'mcp' ? 'MCP server' : 'OpenAPI source'} ${source.name}`;
  const states = s.states ?? [null];
  for (const [i, state] of states.entries())
    for (const [k, call] of (s.setup ?? []).entries()) {
      const value = 'tool' in call ? call.arguments : call.body;
      try {
        resolveStateRefs(value, state, `setup call ${k + 1}`);
      } catch (e) {
        throw new PoolError(
          `${label}: field setup: ${(e as Error).message} (state ${i + 1} of ${states.length})`,
        );
      }
    }
  if (source.kind === 'openapi' && s.states && !s.setup)
    console.warn(
      `${label}: states are declared but no setup applies them to the service: the records will name a state the service never had`,
    );
}

/** The drawn state of each stateful source that executes one of `defs`, in the conversation of `seed`. */
export function drawnStatesFor(
  sources: readonly ToolSource[],
  defs: readonly (Pick<FunctionDef, 'impl'> | undefined)[],
  seed: number,
): Record<string, DrawnState> {
  const used = new Set(defs.map(outsideSourceOf));
  return drawStates(sources.filter((s) => used.has(s.name)).map(statefulOf), seed);
}
