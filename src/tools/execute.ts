import type { ExecutedCall, PlannedCall } from '../core/conversation';
import type { ExecutionMode } from '../core/config';
import { valueAtField } from '../core/fields';
import { outsideSourceOf, type FunctionDef, type ToolSource } from '../core/pool';
import { deriveSeed } from '../core/rng';
import { toolSetOf } from './builtin';
import { callMcp } from './mcp/execute';
import { callHttp } from './openapi/execute';
import { safeCall, type CallLimits } from './safe';
import { simulateOutput } from './simulate';
import { setupLabel } from '../core/environment';
import { errorInOutput } from './outcome';
import { InfrastructureError, ToolError, type ExecScope, type Json } from './types';
import { validatorFor } from './validators';

/** Tool outputs come from outside the pipeline: check them against the declared output schema. */
export function checkOutput(def: FunctionDef, output: unknown): string | undefined {
  // an inferred schema is magnet's guess from a sample output, for the graph: no contract to hold a tool to
  if (!def.output || def.outputOrigin === 'inferred') return undefined;
  const validate = validatorFor(def.output);
  if (validate(output)) return undefined;
  const e = validate.errors?.[0];
  return `output does not match the output schema of ${def.name}: ${e?.instancePath || '/'} ${e?.message ?? ''}`.trim();
}

/** Functions executed where they live (MCP servers, OpenAPI services): the pool's sources and the scope. */
export interface ExternalExecution {
  sources: readonly ToolSource[];
  scope: ExecScope;
  /** Timeout and output cap of each call (the run config's `execution`); defaults when absent. */
  limits?: Partial<CallLimits>;
  /** Called while waiting for a slow tool (an activity's heartbeat). */
  heartbeat?: () => void;
}

/** Scopes (one per activity attempt) whose HTTP setup already ran, by source name. */
const httpSetupDone = new WeakMap<ExecScope, Set<string>>();

/**
 * An HTTP service's setup calls, before the conversation's first call of it: the service keeps one state for
 * everyone, so the setup (a reset, seeded records) runs again whenever a conversation starts using it. A
 * failing setup call is the environment's failure, never data.
 */
async function httpSetup(
  source: ToolSource,
  ext: ExternalExecution,
  pool: ReadonlyMap<string, FunctionDef>,
): Promise<void> {
  const setup = ext.scope.environment?.[source.name]?.setup;
  if (!setup?.length) return;
  let done = httpSetupDone.get(ext.scope);
  if (!done) httpSetupDone.set(ext.scope, (done = new Set()));
  if (done.has(source.name)) return;
  done.add(source.name);
  const ofSource = (name: string): boolean => outsideSourceOf(pool.get(name)) === source.name;
  // an earlier turn called the service: the setup ran before it
  if (ext.scope.history.some((c) => ofSource(c.name))) return;
  for (const [i, c] of setup.entries()) {
    const def: FunctionDef | undefined =
      'tool' in c
        ? pool.get(c.tool)
        : ({
            name: `setup_${i + 1}`,
            impl: {
              kind: 'http',
              source: source.name,
              method: c.method,
              path: c.path,
              params: {},
              body: { contentType: 'application/json', arg: 'body' },
            },
          } as unknown as FunctionDef);
    const label = `OpenAPI service ${source.name}: setup call ${i + 1} (${setupLabel(c)})`;
    if (!def || (!ofSource(def.name) && 'tool' in c))
      throw new InfrastructureError(`${label}: no operation of that name in the pool`);
    const args = 'tool' in c ? c.arguments : c.body === undefined ? {} : { body: c.body };
    try {
      await safeCall((ctx) => callHttp(source, def, args, ext.scope, ctx), ext.limits, {
        heartbeat: ext.heartbeat,
      });
    } catch (e) {
      throw new InfrastructureError(`${label} failed: ${(e as Error).message}`);
    }
  }
}

/**
 * Calls a function of an MCP server or an OpenAPI service, with a timeout and an output size cap. `readOnly`:
 * an observation (tools/observe), which the conversation's state on the server does not record.
 */
export async function callExternal(
  def: FunctionDef,
  args: Record<string, unknown>,
  ext: ExternalExecution | undefined,
  pool: ReadonlyMap<string, FunctionDef>,
  readOnly = false,
): Promise<{ output: Json; executor: ExecutedCall['executor'] }> {
  const impl = def.impl;
  if (impl?.kind !== 'mcp' && impl?.kind !== 'http') throw new Error(`${def.name} is not external`);
  const name = impl.kind === 'mcp' ? impl.server : impl.source;
  const source = ext?.sources.find((s) => s.name === name);
  if (!source || !ext) throw new ToolError(`${def.name}: its source ${name} is not in the pool`);
  const opts = { heartbeat: ext.heartbeat };
  if (impl.kind === 'http') await httpSetup(source, ext, pool);
  try {
    // both take safeCall's context: the abort signal and deadline (one time limit per call, retries inside it)
    if (impl.kind === 'mcp')
      return {
        output: await safeCall(
          (ctx) => callMcp(source, impl.tool, args, ext.scope, readOnly, ctx),
          ext.limits,
          opts,
        ),
        executor: `mcp:${name}`,
      };
    return {
      output: await safeCall((ctx) => callHttp(source, def, args, ext.scope, ctx), ext.limits, opts),
      executor: 'http',
    };
  } catch (e) {
    // the failure names where it happened: `magnet status` tells the user which server to fix
    if (e instanceof InfrastructureError)
      throw new InfrastructureError(
        `${impl.kind === 'mcp' ? 'MCP server' : 'OpenAPI service'} ${name} (${def.name}): ${e.message}`,
      );
    throw e;
  }
}

export interface TurnExecution {
  calls: ExecutedCall[];
  /** Tool-set states after the turn, by tool-set name. */
  states: Record<string, Json>;
  /** Planned calls not made (strict mode): their input was missing or wrong, and why. */
  skipped: { id: string; name: string; reason: string }[];
}

/** Why `args` do not fit `def`'s parameters (a required one missing, a wrong type), or undefined. */
export function argumentProblem(def: FunctionDef, args: Record<string, unknown>): string | undefined {
  const validate = validatorFor(def.parameters);
  if (validate(args)) return undefined;
  const e = validate.errors?.[0];
  const missing = (e?.params as { missingProperty?: string } | undefined)?.missingProperty;
  if (missing) return `required argument ${missing} is missing`;
  return `argument ${e?.instancePath.replace(/^\//, '') || '(all)'} ${e?.message ?? 'is invalid'}`;
}

/**
 * Runs a turn's calls in order. References to earlier calls of the turn are resolved from their outputs.
 * Built-in tool sets carry their state across turns; other functions are simulated from their output schema.
 *
 * `strict` (the reference answer, which becomes training data): a call is made only with arguments that fit
 * its schema, so a call whose input comes from a failed call, from a field its source did not return, or of
 * the wrong type is not made at all (listed in `skipped`; the failed call's own error result stays, and the
 * answer reports it) — exporting it with a missing argument would teach a model to call tools that way.
 * Without `strict` (a student's wrong answer, a negative example) such calls are kept with their error.
 */
export async function executeTurn(
  planned: readonly PlannedCall[],
  pool: ReadonlyMap<string, FunctionDef>,
  states: Readonly<Record<string, Json>>,
  seed: number,
  mode: ExecutionMode,
  /** An LLM playing functions without implementation; offline schema-based simulation when absent. */
  simulate?: (def: FunctionDef, args: Record<string, unknown>, done: ExecutedCall[]) => Promise<unknown>,
  strict = false,
  /** Where functions of MCP servers and OpenAPI services run; absent, they fail as unreachable. */
  external?: ExternalExecution,
): Promise<TurnExecution> {
  const next: Record<string, Json> = { ...states };
  const done = new Map<string, ExecutedCall>();
  const calls: ExecutedCall[] = [];
  const skipped: TurnExecution['skipped'] = [];
  for (const p of planned) {
    const def = pool.get(p.name);
    const args: Record<string, unknown> = { ...p.arguments };
    const after = [...new Set(Object.values(p.refs).map((r) => r.call))];
    let error: string | undefined;
    for (const [param, ref] of Object.entries(p.refs)) {
      const src = done.get(ref.call);
      // the field is a path into the output: `books[].book_id` is the book_id of the first book that has one
      const value = src ? valueAtField(src.output, ref.field) : undefined;
      if (!src || src.error) error = `input ${param} comes from ${ref.call}, which failed`;
      else if (value === undefined) error = `output of ${ref.call} has no field ${ref.field}`;
      else args[param] = value;
    }
    if (strict) {
      const reason = !def ? `unknown function ${p.name}` : (error ?? argumentProblem(def, args));
      if (reason) {
        skipped.push({ id: p.id, name: p.name, reason });
        continue;
      }
    }
    let output: Json = null;
    const set = mode === 'simulated' || !def ? undefined : toolSetOf(def);
    const ext = mode !== 'simulated' && (def?.impl?.kind === 'mcp' || def?.impl?.kind === 'http');
    let executor: ExecutedCall['executor'] = set ? 'builtin' : 'simulated';
    if (!def) error = `unknown function ${p.name}`;
    if (!error && def) {
      if (mode === 'builtin' && !set) error = `no built-in implementation of ${p.name}`;
      else if (ext) {
        try {
          ({ output, executor } = await callExternal(def, args, external, pool));
        } catch (e) {
          if (!(e instanceof ToolError)) throw e;
          error = e.message;
          output = { error: e.message };
          executor = def.impl?.kind === 'mcp' ? `mcp:${def.impl.server}` : 'http';
        }
      } else if (set) {
        const state = next[set.name] ?? set.initialState(deriveSeed(seed, 'state', set.name));
        try {
          const r = set.call(state, p.name, args);
          output = r.output;
          next[set.name] = r.state;
        } catch (e) {
          if (!(e instanceof ToolError)) throw e;
          error = e.message;
          output = { error: e.message };
          next[set.name] = state;
        }
      } else {
        output = simulate ? ((await simulate(def, args, calls)) as Json) : simulateOutput(def, args, seed);
      }
      if (!error) error = errorInOutput(output) ?? checkOutput(def, output);
    }
    const call: ExecutedCall = {
      id: p.id,
      name: p.name,
      arguments: args,
      sources: p.sources,
      after,
      output,
      executor,
    };
    if (error) call.error = error;
    if (def) call.outcome = error ? 'tool_error' : 'ok';
    // the executor had to rebuild the conversation's state on a fresh server for this call: say so
    if (ext && external?.scope.rebuilt?.length) call.rebuilt = external.scope.rebuilt.splice(0);
    done.set(p.id, call);
    calls.push(call);
  }
  return { calls, states: next, skipped };
}
