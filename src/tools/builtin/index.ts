import type { FunctionDef } from '../../core/pool';
import { ToolSet } from '../types';
import { filesystemTools } from './filesystem';
import { mathUnitsTools } from './math_units';
import { messagingTools } from './messaging';
import { tradingTools } from './trading';
import { travelTools } from './travel';
import { vehicleTools } from './vehicle';

/** One tool set per example pool category (examples/pool/<name>.json). */
export const builtinToolSets: ToolSet[] = [
  filesystemTools,
  travelTools,
  messagingTools,
  mathUnitsTools,
  tradingTools,
  vehicleTools,
];

const byFunction = new Map<string, ToolSet>(
  builtinToolSets.flatMap((set) => set.functions.map((f) => [f, set])),
);

export function findToolSet(functionName: string): ToolSet | undefined {
  return byFunction.get(functionName);
}

/**
 * The built-in tool set that runs `def`: the one its `impl` names (see src/tools/pool-loader.ts for which
 * functions get one). A definition without `impl` comes from a pool stored by an earlier release, which bound
 * built-in code by name.
 */
export function toolSetOf(def: FunctionDef): ToolSet | undefined {
  if (!def.impl) return findToolSet(def.name);
  const impl = def.impl;
  if (impl.kind !== 'builtin') return undefined;
  const set = builtinToolSets.find((s) => s.name === impl.set);
  return set?.functions.includes(def.name) ? set : undefined;
}
