import {
  recordStats,
  type ConversationRecord,
  type ExecutedCall,
  type TurnRecord,
} from '../core/conversation';
import type { TurnLabel } from '../core/ops';
import { arrayItems, type FunctionDef, type JsonSchemaT } from '../core/pool';
import { createRng, deriveSeed, type Rng } from '../core/rng';

/**
 * Valid conversation records made up from a pool, without running the pipeline: for the export tests and
 * the export bench (100,000 records in seconds). Every data kind an exporter meets is here: all labels,
 * parallel and dependent calls, failed calls, empty turns, mDPO negatives, offline and LLM provenance, and
 * text that is hard to escape (quotes, backslashes, newlines, non-ASCII).
 */

const TRICKY = [
  "it's",
  'say "hi"',
  'back\\slash',
  'two\nlines',
  'tab\there',
  'café ☕ 東京',
  'both \' and "',
  'ok',
];

/** A value that satisfies `schema` (the subset pools use: type, enum, properties, items, bounds). */
export function sampleValue(schema: JsonSchemaT | undefined, rng: Rng): unknown {
  if (!schema) return 'x';
  if (schema.enum && schema.enum.length > 0) return rng.pick(schema.enum);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  const lo = typeof schema.minimum === 'number' ? schema.minimum : 0;
  const hi = typeof schema.maximum === 'number' ? schema.maximum : lo + 100;
  switch (type) {
    case 'integer':
      return Math.ceil(lo) + rng.int(Math.max(1, Math.floor(hi) - Math.ceil(lo) + 1));
    case 'number':
      return Math.round((lo + rng.next() * (hi - lo)) * 100) / 100;
    case 'boolean':
      return rng.chance(0.5);
    case 'array': {
      const min = typeof schema.minItems === 'number' ? schema.minItems : 0;
      const { tuple, each } = arrayItems(schema);
      if (tuple.length > 0) return tuple.map((s) => sampleValue(s, rng));
      return Array.from({ length: min + rng.int(2) }, () => sampleValue(each, rng));
    }
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, s] of Object.entries(schema.properties ?? {}))
        if ((schema.required ?? []).includes(k) || rng.chance(0.5)) out[k] = sampleValue(s, rng);
      return out;
    }
    case 'null':
      return null;
    default:
      return rng.pick(TRICKY);
  }
}

function call(def: FunctionDef, id: string, after: string[], rng: Rng): ExecutedCall {
  const args = sampleValue(def.parameters as JsonSchemaT, rng) as Record<string, unknown>;
  const failed = rng.chance(0.1);
  return {
    id,
    name: def.name,
    arguments: args,
    sources: Object.fromEntries(Object.keys(args).map((k) => [k, { kind: 'query' as const, turn: 0 }])),
    after,
    output: failed
      ? { error: 'not found' }
      : { ok: true, value: rng.pick(TRICKY), n: rng.int(1000), list: [1, null] },
    ...(failed ? { error: 'not found' } : {}),
    executor: 'simulated',
  };
}

/** Record `index` of a made-up run over `functions` (at least 4 of them). */
export function syntheticRecord(
  functions: readonly FunctionDef[],
  index: number,
  runId = 'synthetic',
): ConversationRecord {
  if (functions.length < 4) throw new RangeError('syntheticRecord needs at least 4 functions');
  const rng = createRng(deriveSeed(7, 'synthetic', index));
  const chosen = rng.shuffle(functions).slice(0, 4 + rng.int(Math.min(4, functions.length - 3)));
  const [missing, ...offered] = chosen as [FunctionDef, ...FunctionDef[]];
  const turns: TurnRecord[] = [];
  const nTurns = 2 + rng.int(4);
  let n = 0;
  for (let h = 0; h < nTurns; h++) {
    const kind = rng.int(6);
    const labels: TurnLabel[] = [
      (['walk', 'merge', 'insert_short', 'insert_long', 'miss_func', 'miss_params'] as const)[
        kind
      ] as TurnLabel,
    ];
    const calls: ExecutedCall[] = [];
    const steps: string[] = [];
    if (kind < 4) {
      const a = call(rng.pick(offered), `call_${index}_${n++}`, [], rng);
      calls.push(a);
      steps.push(rng.chance(0.5) ? '' : `Let me check ${rng.pick(TRICKY)}.`);
      if (kind === 1) calls.push(call(rng.pick(offered), `call_${index}_${n++}`, [], rng)); // parallel
      if (kind === 2 || kind === 3) {
        calls.push(call(rng.pick(offered), `call_${index}_${n++}`, [a.id], rng)); // depends on a
        steps.push('Now the next step.');
      }
    }
    const negatives =
      kind < 4 && rng.chance(0.4)
        ? [
            {
              sample: 0,
              errors: [{ type: 'wrong_arguments', detail: 'a value differs' }],
              calls: calls.map((c) => ({
                ...c,
                arguments: sampleValue(
                  offered.find((f) => f.name === c.name)?.parameters as JsonSchemaT,
                  rng,
                ) as Record<string, unknown>,
              })),
              assistant: { steps: steps.map(() => 'Trying.'), final: 'Done, I think.' },
            },
          ]
        : [];
    turns.push({
      index: h,
      // the turn after a miss_params turn provides the value (when it makes calls; an empty one stays empty)
      labels:
        h > 0 && kind < 4 && turns[h - 1]?.labels.includes('miss_params')
          ? [...labels, 'provides_missing']
          : labels,
      functions: calls.map((c) => ({ name: c.name, via: 'walk' as const })),
      ...(kind === 4 ? { missing: { kind: 'miss_func' as const, function: missing.name } } : {}),
      ...(kind === 5
        ? { missing: { kind: 'miss_params' as const, function: offered[0]?.name ?? '', param: 'p' } }
        : {}),
      query: `Turn ${h}: please help with ${rng.pick(TRICKY)}`,
      calls,
      assistant: {
        steps,
        final: kind >= 4 ? `I cannot do that: ${rng.pick(TRICKY)}` : `Done: ${rng.pick(TRICKY)}`,
      },
      negatives,
    });
  }
  const offline = index % 3 !== 0;
  return {
    id: `${runId}/conv-${String(index).padStart(5, '0')}`,
    runId,
    index,
    kind: 'multi_turn',
    fsp: {
      walk: offered.map((f) => f.name),
      turns: turns.map((t) => ({
        functions: t.functions,
        labels: t.labels,
        ...(t.missing ? { missing: t.missing } : {}),
      })),
      trace: { mergeBoundaries: 0, merges: 0, insertsShort: 0, insertsLong: 0, split: 'none' },
    },
    tools: offered.map((f) => f.name),
    turns,
    stats: recordStats(turns),
    provenance: offline
      ? {
          backend: 'offline',
          models: {},
          seed: deriveSeed(7, index),
          generator: 'magnet-offline/1',
          note: 'placeholder text, not training data',
        }
      : {
          backend: 'llm',
          models: { teacher: 'gpt-4o-mini', student: 'my-sft' },
          seed: deriveSeed(7, index),
          generator: 'magnet-llm/1',
        },
  };
}

/**
 * Record `index` with a miss_func turn followed by the turn that provides its function (ops.provideFuncProb):
 * the synthetic record's turns (its own miss_func turns left out) with the pair put after the first turn
 * that does not ask for a value. The providing turn `adds` the function, calls it and has an mDPO negative.
 */
export function syntheticProvidedRecord(
  functions: readonly FunctionDef[],
  index: number,
  runId = 'synthetic',
): ConversationRecord {
  const rec = syntheticRecord(functions, index, runId);
  const rng = createRng(deriveSeed(7, 'provided', index));
  const fn = functions.find((f) => !rec.tools.includes(f.name)) as FunctionDef;
  const base = rec.turns.filter((t) => t.missing?.kind !== 'miss_func');
  // never between a miss_params turn and the turn that gives its value (first when there is no other place)
  let at = 1;
  while (at <= base.length && base[at - 1]?.labels.includes('miss_params')) at++;
  if (at > base.length) at = 0;
  const ask: TurnRecord = {
    index: 0,
    labels: ['miss_func'],
    functions: [],
    missing: { kind: 'miss_func', function: fn.name },
    query: `Could you ${fn.description || fn.name}?`,
    calls: [],
    assistant: { steps: [], final: "I'm sorry, but none of the tools available to me can do that." },
    negatives: [],
  };
  const c = call(fn, `call_${index}_provided`, [], rng);
  const give: TurnRecord = {
    index: 0,
    labels: ['provides_function'],
    functions: [{ name: fn.name, via: 'walk' }],
    adds: [fn.name],
    query: `I have updated the functions you can choose from: ${fn.name} is now available. Please go ahead.`,
    calls: [c],
    assistant: { steps: ['Let me do that now.'], final: `Done: ${rng.pick(TRICKY)}` },
    negatives: [
      {
        sample: 0,
        errors: [{ type: 'wrong_arguments', detail: 'a value differs' }],
        calls: [
          { ...c, arguments: sampleValue(fn.parameters as JsonSchemaT, rng) as Record<string, unknown> },
        ],
        assistant: { steps: ['Trying.'], final: 'Done, I think.' },
      },
    ],
  };
  const turns = [...base.slice(0, at), ask, give, ...base.slice(at)].map((t, i) => ({
    ...t,
    index: i,
    // the providing turn's values are in its own query
    calls: t === give ? t.calls.map((x) => ({ ...x, sources: sourcesAt(x, i) })) : t.calls,
  }));
  return {
    ...rec,
    fsp: {
      ...rec.fsp,
      turns: turns.map((t) => ({
        functions: t.functions,
        labels: t.labels,
        ...(t.missing ? { missing: t.missing } : {}),
        ...(t.adds ? { adds: t.adds } : {}),
      })),
      trace: { ...rec.fsp.trace, split: 'miss_func', providesFunction: true },
    },
    tools: [...rec.tools, fn.name],
    turns,
    stats: recordStats(turns),
  };
}

function sourcesAt(c: ExecutedCall, turn: number): ExecutedCall['sources'] {
  return Object.fromEntries(Object.keys(c.sources).map((k) => [k, { kind: 'query' as const, turn }]));
}
