import { outEdges, type Graph } from './graph';
import type { Kind } from './mix';
import type { Fsp, FspTurn } from './ops';
import type { Plan } from './plan';
import type { FunctionDef } from './pool';
import { createRng, deriveSeed, type Rng } from './rng';

/**
 * One-turn FSPs for the mix's single-turn kinds, drawn from the same graph and pool as the conversations, so
 * the conversation workflow runs them unchanged (one turn: back-translate, forth-translate, execute, distill):
 * - single: one function of the graph, called once; same-category distractors offered (BFCL "multiple"
 *   when there are distractors, "simple" when there are none);
 * - parallel: one function with required parameters, called 2-3 times with different values, offered alone
 *   (BFCL "parallel");
 * - multiple: 2-3 different functions of one category (out-neighbours of the first in the graph first, then
 *   the category), each called once with values the user gives, plus distractors (BFCL "parallel_multiple");
 * - irrelevance: no call. miss_func: the user asks for a function whose category offers nothing (the tools
 *   offered are of other categories); miss_params: the user asks for an offered function without one of its
 *   required values, and the answer asks for it.
 */
export interface SingleTurnInput {
  graph: Pick<Graph, 'nodes' | 'edges'>;
  pool: ReadonlyMap<string, FunctionDef>;
  seed: number;
  distractors: number;
}

const NO_OPS: Fsp['trace'] = {
  mergeBoundaries: 0,
  merges: 0,
  insertsShort: 0,
  insertsLong: 0,
  split: 'none',
};

export function planSingleTurn(input: SingleTurnInput, kind: Exclude<Kind, 'multi_turn'>): Plan {
  const { graph, pool, seed } = input;
  const rng = createRng(deriveSeed(seed, 'item', kind));
  const names = graph.nodes.map((n) => n.name).filter((n) => pool.has(n));
  if (names.length === 0) throw new Error('the graph has no function of the pool');
  const def = (n: string): FunctionDef => pool.get(n) as FunctionDef;
  const withParams = names.filter((n) => def(n).parameters.required.length > 0);
  const plan = (turn: FspTurn, tools: string[]): Plan => ({
    fsp: { walk: turn.functions.map((f) => f.name), turns: [turn], trace: NO_OPS },
    tools: [...new Set(tools)].sort(),
    categories: [
      ...new Set([...turn.functions.map((f) => f.name), ...(turn.missing ? [turn.missing.function] : [])]),
    ]
      .map((n) => def(n).category)
      .filter((c, i, a) => c && a.indexOf(c) === i)
      .sort(),
  });
  const distract = (used: string[], avoid: string[] = []): string[] => {
    const cats = new Set(used.map((n) => def(n).category));
    const others = [...pool.values()]
      .filter((f) => cats.has(f.category) && !used.includes(f.name) && !avoid.includes(f.name))
      .map((f) => f.name)
      .sort();
    return createRng(deriveSeed(seed, 'tools')).shuffle(others).slice(0, input.distractors);
  };

  if (kind === 'single') {
    const f = rng.pick(names);
    return plan({ functions: [{ name: f, via: 'walk' }], labels: ['walk'] }, [f, ...distract([f])]);
  }
  if (kind === 'parallel') {
    // several argument sets need a value to vary: a function with required parameters when there is one
    const f = rng.pick(withParams.length > 0 ? withParams : names);
    const n = 2 + rng.int(2);
    const functions = Array.from({ length: n }, () => ({ name: f, via: 'walk' as const }));
    return plan({ functions, labels: ['parallel'] }, [f]);
  }
  if (kind === 'multiple') {
    const fns = severalFunctions(input, names, rng);
    return plan({ functions: fns.map((name) => ({ name, via: 'walk' as const })), labels: ['multiple'] }, [
      ...fns,
      ...distract(fns),
    ]);
  }
  // irrelevance: half ask for what no offered tool does, half leave a required value out
  const wantParams = rng.chance(0.5) && withParams.length > 0;
  if (wantParams) {
    const f = rng.pick(withParams);
    const param = rng.pick(def(f).parameters.required);
    return plan(
      { functions: [], labels: ['miss_params'], missing: { kind: 'miss_params', function: f, param } },
      [f, ...distract([f])],
    );
  }
  const x = rng.pick(names);
  const category = def(x).category;
  // tools that do not fit: other categories when the pool has them, else functions of the category that x
  // does not lead to
  const foreign = [...pool.values()].filter((f) => f.category !== category).map((f) => f.name);
  const near = new Set((outEdges(graph).get(x) ?? []).map((e) => e.to));
  const unrelated = [...pool.values()].filter((f) => f.name !== x && !near.has(f.name)).map((f) => f.name);
  // (a neighbour still cannot do what x does: the last resort on a tiny pool)
  const others = [...pool.keys()].filter((n) => n !== x);
  const offer = createRng(deriveSeed(seed, 'tools'))
    .shuffle((foreign.length > 0 ? foreign : unrelated.length > 0 ? unrelated : others).sort())
    .slice(0, Math.max(1, input.distractors));
  if (offer.length === 0) throw new Error(`irrelevance: the pool has no function besides ${x} to offer`);
  return plan({ functions: [], labels: ['miss_func'], missing: { kind: 'miss_func', function: x } }, offer);
}

/** 2-3 different functions of one category: the first's out-neighbours in the graph, then its category. */
function severalFunctions(input: SingleTurnInput, names: string[], rng: Rng): string[] {
  const { graph, pool } = input;
  const adjacency = outEdges(graph);
  const siblings = (n: string): number =>
    names.filter((m) => pool.get(m)?.category === pool.get(n)?.category).length;
  // a first function that has company (a neighbour or another of its category), when there is one
  const rich = names.filter((n) => (adjacency.get(n)?.length ?? 0) > 0 || siblings(n) > 1);
  const first = rng.pick(rich.length > 0 ? rich : names);
  const category = pool.get(first)?.category;
  const near = (adjacency.get(first) ?? []).map((e) => e.to).filter((n) => pool.has(n));
  const same = names.filter((n) => pool.get(n)?.category === category);
  const candidates = [...new Set([...rng.shuffle(near), ...rng.shuffle(same)])].filter((n) => n !== first);
  const want = 1 + rng.int(2);
  return [first, ...candidates.slice(0, want)];
}
