import { arrayItems, type FunctionDef, type JsonSchemaT } from '../core/pool';
import { createRng, deriveSeed, hash32 } from '../core/rng';
import { stableStringify } from '../io/files';
import { userValue } from '../core/values';
import type { Json } from './types';

/**
 * Offline simulated execution for functions with no implementation: an output that conforms to the
 * declared output schema, derived from (function, arguments), so equal calls give equal outputs.
 */
export function simulateOutput(def: FunctionDef, args: Record<string, unknown>, seed: number): Json {
  const callSeed = deriveSeed(seed, def.name, hash32(stableStringify(args)));
  if (!def.output) return { status: 'ok', function: def.name };
  return fromSchema(def.output, 'result', callSeed, args) as Json;
}

function fromSchema(schema: JsonSchemaT, name: string, seed: number, args: Record<string, unknown>): unknown {
  // Echo arguments whose name matches an output field: "get_weather(city)" -> {city: <same city>}.
  if (name in args && args[name] !== undefined) return args[name];
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (type === 'object' || schema.properties) {
    const out: Record<string, unknown> = {};
    for (const [k, s] of Object.entries(schema.properties ?? {}))
      out[k] = fromSchema(s, k, deriveSeed(seed, k), args);
    return out;
  }
  if (type === 'array') {
    const { tuple, each } = arrayItems(schema);
    if (tuple.length > 0) return tuple.map((s, i) => fromSchema(s, `${name}_item`, deriveSeed(seed, i), {}));
    const n = 1 + createRng(seed).int(3);
    return Array.from({ length: n }, (_, i) =>
      fromSchema(each ?? { type: 'string' }, `${name}_item`, deriveSeed(seed, i), {}),
    );
  }
  // an id the schema shapes (a uuid format, a pattern, an enum) is drawn to fit it: outputs are checked
  if (type === 'string' && /(^|_)id$/.test(name) && !schema.format && !schema.pattern && !schema.enum)
    return `${name.replace(/_?id$/, '') || 'id'}_${seed % 100000}`;
  return userValue(seed, name, schema);
}
