import { outEdges, type Graph } from './graph';
import { applyInsert, applyMerge, applySplit, type Fsp, type OpsConfig } from './ops';
import type { FunctionDef } from './pool';
import { createRng, deriveSeed } from './rng';
import { randomWalk } from './walk';

export interface PlanInput {
  graph: Pick<Graph, 'nodes' | 'edges'>;
  pool: ReadonlyMap<string, FunctionDef>;
  seed: number;
  ops: OpsConfig;
  distractors: number;
  /** The nested judge's verdicts; defaults to "every feeding edge is nested" (the offline rule). */
  isNested?: (from: string, to: string) => boolean;
}

export interface Plan {
  fsp: Fsp;
  /**
   * Functions offered to the model by the end of the conversation: the FSP's plus same-category distractors.
   * A function a turn `adds` is offered from that turn on only (see `offeredAt`).
   */
  tools: string[];
  /** Categories of the FSP's functions. */
  categories: string[];
}

/** The initial FSP (stage 3): resampled a few times when dead ends make it shorter than minWalkLength. */
export function sampleWalk(input: Pick<PlanInput, 'graph' | 'seed' | 'ops'>): string[] {
  const { graph, seed, ops } = input;
  const adjacency = outEdges(graph);
  const names = graph.nodes.map((n) => n.name);
  let walk: string[] = [];
  for (
    let attempt = 0;
    attempt < 20 && walk.length < Math.min(ops.minWalkLength, ops.walkLength);
    attempt++
  ) {
    const w = randomWalk(names, adjacency, createRng(deriveSeed(seed, 'walk', attempt)), ops.walkLength);
    if (w.length > walk.length) walk = w;
  }
  return walk;
}

/** Samples one conversation's FSP and tool list. Same input and seed ⇒ same plan. */
export function planConversation(input: PlanInput, walk = sampleWalk(input)): Plan {
  const { graph, pool, seed, ops } = input;
  const adjacency = outEdges(graph);
  const merged = applyMerge(walk, createRng(deriveSeed(seed, 'merge')), ops.mergeProb);
  const inserted = applyInsert(
    merged.turns,
    adjacency,
    input.isNested ?? (() => true),
    createRng(deriveSeed(seed, 'insert')),
    ops,
  );
  const split = applySplit(inserted.turns, pool, adjacency, createRng(deriveSeed(seed, 'split')), ops);
  const fsp: Fsp = {
    walk,
    turns: split.turns,
    trace: {
      mergeBoundaries: Math.max(0, walk.length - 1),
      merges: merged.merges,
      insertsShort: inserted.short,
      insertsLong: inserted.long,
      split: split.split,
      ...(split.wanted ? { splitWanted: split.wanted } : {}),
      ...(split.provides ? { providesFunction: true as const } : {}),
    },
  };
  const categories = [...new Set(walk.map((n) => pool.get(n)?.category ?? ''))].filter((c) => c).sort();
  return { fsp, tools: chooseTools(fsp, pool, seed, input.distractors), categories };
}

function chooseTools(
  fsp: Fsp,
  pool: ReadonlyMap<string, FunctionDef>,
  seed: number,
  distractors: number,
): string[] {
  const used = fsp.turns.flatMap((t) => t.functions.map((f) => f.name));
  const absent = new Set(
    fsp.turns.flatMap((t) => (t.missing?.kind === 'miss_func' ? [t.missing.function] : [])),
  );
  const categories = new Set(used.map((n) => pool.get(n)?.category));
  const others = [...pool.values()]
    .filter((f) => categories.has(f.category) && !used.includes(f.name) && !absent.has(f.name))
    .map((f) => f.name)
    .sort();
  const extra = createRng(deriveSeed(seed, 'tools')).shuffle(others).slice(0, distractors);
  return [...new Set([...used, ...extra])].sort();
}

/**
 * The tools offered at turn `turn` of an FSP whose conversation ends offering `tools`: without the functions
 * that a later turn adds. `kept` (turn indexes) is the turns a record or export row still holds: a function
 * whose adding turn was removed is never offered (nothing says it became available), so a kept miss_func turn
 * never sits beside the tool it says is missing.
 */
export function offeredAt(
  fsp: Pick<Fsp, 'turns'>,
  tools: readonly string[],
  turn: number,
  kept?: ReadonlySet<number>,
): string[] {
  const later = new Set(
    fsp.turns.flatMap((t, i) => (i > turn || (kept && !kept.has(i)) ? (t.adds ?? []) : [])),
  );
  return later.size === 0 ? tools.slice() : tools.filter((n) => !later.has(n));
}

/** Readable one-conversation rendering for `magnet paths`. */
export function describeFsp(fsp: Fsp): string {
  return fsp.turns
    .map((t, i) => {
      const fns = t.functions
        .map((f) =>
          f.via === 'walk'
            ? f.name
            : `${f.name}[${f.via}${f.nestedFrom ? ` <- t${f.nestedFrom.turn + 1}.${f.nestedFrom.name}` : ''}]`,
        )
        .join(', ');
      const miss = t.missing
        ? ` (${t.missing.kind}: ${t.missing.function}${t.missing.param ? `.${t.missing.param}` : ''})`
        : '';
      const adds = t.adds?.length ? ` (adds ${t.adds.join(', ')})` : '';
      return `  turn ${i + 1} [${t.labels.join('+')}]: ${fns || '{}'}${miss}${adds}`;
    })
    .join('\n');
}
