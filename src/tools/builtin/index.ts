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
