import { z } from 'zod';
import { createRng, deriveSeed } from './rng';

/**
 * The environment a conversation starts from: for each outside source (MCP server, OpenAPI service) that
 * declares `states`, one of them, drawn from the conversation's seed. A pure function of (seed, source), so
 * every step, every retry and every worker that rebuilds the conversation's server starts from the same
 * state, with nothing carried in the workflow's inputs; the record and the BFCL export say which it was.
 */

/** A state drawn from a folder of fixture folders: the fixture's files, copied into `${scopeDir}`. */
export const FixtureState = z.object({
  $fixture: z.string(),
  files: z.record(z.string(), z.string()),
});
export type FixtureState = z.infer<typeof FixtureState>;

/**
 * A call run on the conversation's instance before its first turn (`$state.<path>` values resolved): one of
 * the source's tools, or (HTTP services) a plain request to an endpoint the document need not offer, such as
 * a test service's reset.
 */
export const SetupCall = z.union([
  z
    .object({
      tool: z.string().min(1),
      arguments: z.record(z.string(), z.unknown()).default({}),
    })
    .strict(),
  z
    .object({
      method: z.enum(['get', 'post', 'put', 'patch', 'delete']),
      path: z.string().startsWith('/'),
      body: z.unknown().optional(),
    })
    .strict(),
]);
export type SetupCall = z.infer<typeof SetupCall>;

/** What a source may declare about its state (the `mcp` / `openapi` pool entry's fields). */
export interface StatefulSource {
  name: string;
  states?: unknown[];
  setup?: SetupCall[];
  bfclClass?: string;
}

/** One source's starting point in a conversation, as the record keeps it. */
export const DrawnState = z.object({
  /** Which of the source's `states` (from 0). */
  index: z.number().int(),
  state: z.unknown(),
  /** The setup calls as run, their `$state` references resolved. */
  setup: z.array(SetupCall).optional(),
  /** The class name a BFCL export gives the source. */
  bfclClass: z.string().optional(),
});
export type DrawnState = z.infer<typeof DrawnState>;

/** The source's state in the conversation of `seed`, or undefined when the source declares none. */
export function drawState(source: StatefulSource, seed: number): DrawnState | undefined {
  const states = source.states;
  if (!states?.length && !source.setup?.length) return undefined;
  const index = states?.length
    ? createRng(deriveSeed(seed, 'env-state', source.name)).int(states.length)
    : -1;
  const state = index >= 0 ? states?.[index] : null;
  return {
    index,
    state,
    ...(source.setup?.length ? { setup: source.setup.map((c) => resolveSetup(c, state)) } : {}),
    ...(source.bfclClass ? { bfclClass: source.bfclClass } : {}),
  };
}

/** The drawn state of every stateful source, by source name. */
export function drawStates(sources: readonly StatefulSource[], seed: number): Record<string, DrawnState> {
  const out: Record<string, DrawnState> = {};
  for (const s of sources) {
    const d = drawState(s, seed);
    if (d) out[s.name] = d;
  }
  return out;
}

/**
 * `"$state"` is the whole state, `"$state.users[0].name"` a value inside it; other values stay as they are.
 * Only whole strings are references: a setup argument that merely mentions `$state` inside text is text.
 */
export function resolveStateRefs(value: unknown, state: unknown, where = 'setup'): unknown {
  if (typeof value === 'string' && /^\$state(\.|\[|$)/.test(value)) return valueAt(state, value, where);
  if (Array.isArray(value)) return value.map((v) => resolveStateRefs(v, state, where));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveStateRefs(v, state, where)]));
  return value;
}

function resolveSetup(call: SetupCall, state: unknown): SetupCall {
  if ('tool' in call)
    return {
      tool: call.tool,
      arguments: resolveStateRefs(call.arguments, state, `setup call ${call.tool}`) as Record<
        string,
        unknown
      >,
    };
  const where = `setup request ${call.method.toUpperCase()} ${call.path}`;
  return call.body === undefined ? call : { ...call, body: resolveStateRefs(call.body, state, where) };
}

/** How a setup call is named in messages. */
export function setupLabel(call: SetupCall): string {
  return 'tool' in call ? call.tool : `${call.method.toUpperCase()} ${call.path}`;
}

/** The value at a `$state.a.b[0].c` path; a path that leads nowhere is an error naming it. */
function valueAt(state: unknown, ref: string, where: string): unknown {
  const steps = ref
    .slice('$state'.length)
    .split(/\.|\[(\d+)\]/)
    .filter((s) => s !== undefined && s !== '');
  let v: unknown = state;
  for (const step of steps) {
    if (v === null || typeof v !== 'object' || !(step in v))
      throw new Error(`${where}: ${ref} is not in the drawn state (no ${step})`);
    v = (v as Record<string, unknown>)[step];
  }
  return v;
}
