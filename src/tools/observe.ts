import { outsideSourceOf, type FunctionDef, type ToolSource } from '../core/pool';
import { callExternal, type ExternalExecution } from './execute';
import { errorInOutput } from './outcome';
import { ToolError, type Json } from './types';

/** What a source's `observe` lists: a tool called with no arguments, or with the given ones. */
export type ObserveEntry = string | { tool: string; arguments: Record<string, unknown> };

/** A read-only call made on a conversation's instance to see what exists before a turn is written. */
export interface Observation {
  name: string;
  arguments: Record<string, unknown>;
  output: Json;
}

/**
 * The functions a turn's generator may call to look at the environment: those a source names in `observe`,
 * else the ones safe to call with no input: MCP tools annotated `readOnlyHint` and OpenAPI GET operations,
 * in both cases without required parameters (there is nothing yet to fill them with). Only the sources of
 * the turn's own functions are observed.
 */
export function observable(
  turnDefs: readonly FunctionDef[],
  pool: ReadonlyMap<string, FunctionDef>,
  sources: readonly ToolSource[],
): { def: FunctionDef; arguments: Record<string, unknown> }[] {
  const used = new Set(turnDefs.map((d) => outsideSourceOf(d)).filter((s): s is string => s !== undefined));
  const out: { def: FunctionDef; arguments: Record<string, unknown> }[] = [];
  for (const name of used) {
    const declared = (sources.find((s) => s.name === name) as { observe?: ObserveEntry[] } | undefined)
      ?.observe;
    if (declared) {
      for (const e of declared) {
        const def = pool.get(typeof e === 'string' ? e : e.tool);
        if (def && outsideSourceOf(def) === name)
          out.push({ def, arguments: typeof e === 'string' ? {} : e.arguments });
      }
      continue;
    }
    for (const def of pool.values()) {
      if (outsideSourceOf(def) !== name || def.parameters.required.length > 0) continue;
      const safe =
        def.impl?.kind === 'mcp'
          ? def.annotations?.readOnlyHint === true
          : def.impl?.kind === 'http' && def.impl.method === 'get';
      if (safe) out.push({ def, arguments: {} });
    }
  }
  return out;
}

/**
 * Runs the observations on the conversation's instances (its state as of the turn). A call the tool refuses
 * observes nothing; a tool that does not answer fails the step like any execution (InfrastructureError).
 */
export async function observe(
  calls: readonly { def: FunctionDef; arguments: Record<string, unknown> }[],
  pool: ReadonlyMap<string, FunctionDef>,
  ext: ExternalExecution,
): Promise<Observation[]> {
  const seen: Observation[] = [];
  for (const { def, arguments: args } of calls) {
    try {
      const { output } = await callExternal(def, args, ext, pool, true);
      // an answer that says the call failed shows nothing that exists
      if (errorInOutput(output) === undefined) seen.push({ name: def.name, arguments: args, output });
    } catch (e) {
      if (!(e instanceof ToolError)) throw e;
    }
  }
  return seen;
}
