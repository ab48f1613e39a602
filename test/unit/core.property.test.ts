import fc from 'fast-check';
import { buildGraphOffline, GraphConfig, outEdges, type Graph } from '../../src/core/graph';
import { applyInsert, applyMerge, applySplit, OpsConfig, type FspTurn } from '../../src/core/ops';
import { offeredAt, planConversation } from '../../src/core/plan';
import { indexPool, type FunctionDef } from '../../src/core/pool';
import { createRng, deriveSeed } from '../../src/core/rng';
import { randomWalk } from '../../src/core/walk';
import { arbPool, examplePool } from '../helpers/pools';

const ops = OpsConfig.parse({});
const graphConfig = GraphConfig.parse({});

function edgeSet(g: Graph): Set<string> {
  return new Set(g.edges.map((e) => `${e.from}->${e.to}`));
}

describe('dependency graph', () => {
  it('puts edges only on judged candidates, within a category, with a relation and existing fed params', () => {
    fc.assert(
      fc.property(arbPool, fc.integer({ min: 1, max: 30 }), (pool, k) => {
        const g = buildGraphOffline(pool, GraphConfig.parse({ maxCandidates: k }));
        const byName = new Map(pool.map((f) => [f.name, f]));
        for (const [name, cands] of Object.entries(g.candidates)) {
          expect(cands.length).toBeLessThanOrEqual(k);
          expect(cands).not.toContain(name);
          for (const c of cands) expect(byName.get(c)?.category).toBe(byName.get(name)?.category);
        }
        for (const e of g.edges) {
          expect(g.candidates[e.from]).toContain(e.to);
          expect(['precondition', 'input', 'partial_input']).toContain(e.relation);
          for (const f of e.feeds)
            expect(Object.keys(byName.get(e.to)?.parameters.properties ?? {})).toContain(f.param);
          if (e.relation === 'input') {
            const fed = new Set(e.feeds.map((f) => f.param));
            for (const r of byName.get(e.to)?.parameters.required ?? []) expect(fed.has(r)).toBe(true);
          }
        }
        expect(g.stats.edges).toBe(g.edges.length);
        expect(g.stats.nodes).toBe(pool.length);
      }),
      { numRuns: 150 },
    );
  });

  it('finds the designed dependencies in the example pool', () => {
    const pool = examplePool();
    const g = buildGraphOffline(pool, graphConfig);
    expect(pool.length).toBeGreaterThanOrEqual(40);
    expect(new Set(pool.map((f) => f.category)).size).toBeGreaterThanOrEqual(5);
    // most functions take part in some dependency, and all three relation types occur
    expect(g.stats.isolated).toBeLessThan(pool.length * 0.2);
    expect(g.stats.byRelation.input).toBeGreaterThan(0);
    expect(g.stats.byRelation.partial_input).toBeGreaterThan(0);
  });
});

describe('random walk', () => {
  it('follows out-edges, never repeats a function, and respects the length', () => {
    fc.assert(
      fc.property(
        arbPool,
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.integer({ min: 1, max: 10 }),
        (pool, seed, len) => {
          const g = buildGraphOffline(pool, graphConfig);
          const edges = edgeSet(g);
          const walk = randomWalk(
            g.nodes.map((n) => n.name),
            outEdges(g),
            createRng(seed),
            len,
          );
          expect(walk.length).toBeGreaterThanOrEqual(1);
          expect(walk.length).toBeLessThanOrEqual(len);
          expect(new Set(walk).size).toBe(walk.length);
          for (let i = 1; i < walk.length; i++) expect(edges.has(`${walk[i - 1]}->${walk[i]}`)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('node operations', () => {
  it('merges consecutive turns at the configured rate (~0.3)', () => {
    let boundaries = 0;
    let merges = 0;
    const walk = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    for (let s = 0; s < 3000; s++) {
      const r = applyMerge(walk, createRng(deriveSeed(99, s)), 0.3);
      boundaries += walk.length - 1;
      merges += r.merges;
      // merging only regroups: order and membership are kept
      expect(r.turns.flatMap((t) => t.functions.map((f) => f.name))).toEqual(walk);
      expect(r.turns.length).toBe(walk.length - r.merges);
    }
    expect(Math.abs(merges / boundaries - 0.3)).toBeLessThan(0.015);
  });

  it('inserts only feeding neighbours of the source turn’s last function, into that turn or a later one', () => {
    fc.assert(
      fc.property(arbPool, fc.integer({ min: 0, max: 2 ** 31 }), (pool, seed) => {
        const g = buildGraphOffline(pool, graphConfig);
        const adj = outEdges(g);
        const walk = randomWalk(
          g.nodes.map((n) => n.name),
          adj,
          createRng(seed),
          7,
        );
        const merged = applyMerge(walk, createRng(seed + 1), 0.3).turns;
        const lasts = merged.map((t) => t.functions[t.functions.length - 1]?.name);
        const r = applyInsert(merged, adj, () => true, createRng(seed + 2), {
          insertProb: 1,
          longInsertProb: 0.5,
        });
        r.turns.forEach((turn, j) => {
          for (const f of turn.functions.filter((x) => x.via !== 'walk')) {
            const from = f.nestedFrom;
            expect(from).toBeDefined();
            if (!from) continue;
            expect(lasts[from.turn]).toBe(from.name);
            const edge = (adj.get(from.name) ?? []).find((e) => e.to === f.name);
            expect(edge?.feeds.length).toBeGreaterThan(0);
            if (f.via === 'nested_short') {
              expect(j).toBe(from.turn);
              expect(turn.labels).toContain('insert_short');
            } else {
              expect(j).toBeGreaterThan(from.turn);
              expect(turn.labels).toContain('insert_long');
            }
          }
        });
        expect(r.turns.flatMap((t) => t.functions).filter((f) => f.via !== 'walk').length).toBe(
          r.short + r.long,
        );
      }),
      { numRuns: 200 },
    );
  });

  it('splits with an empty, labelled turn whose missing function or value is coherent', () => {
    const pool = examplePool();
    const index = indexPool({ functions: pool });
    const g = buildGraphOffline(pool, graphConfig);
    let seen = { miss_func: 0, miss_params: 0 };
    for (let s = 0; s < 400; s++) {
      const plan = planConversation({
        graph: g,
        pool: index,
        seed: deriveSeed(5, s),
        ops: { ...ops, splitProb: 1 },
        distractors: 3,
      });
      const turns = plan.fsp.turns;
      const fspNames = new Set(turns.flatMap((t) => t.functions.map((f) => f.name)));
      turns.forEach((t: FspTurn, i) => {
        if (!t.missing) {
          expect(t.functions.length).toBeGreaterThan(0);
          return;
        }
        expect(t.functions).toEqual([]);
        expect(t.labels).toEqual([t.missing.kind]);
        // miss_func follows a turn; miss_params may open the conversation (the value comes in the next turn)
        if (t.missing.kind === 'miss_func') expect(i).toBeGreaterThan(0);
        seen = { ...seen, [t.missing.kind]: seen[t.missing.kind] + 1 };
        if (t.missing.kind === 'miss_func') {
          expect(fspNames.has(t.missing.function)).toBe(false);
          expect(plan.tools).not.toContain(t.missing.function);
        } else {
          const next = turns[i + 1] as FspTurn;
          expect(next.labels).toContain('provides_missing');
          expect(next.functions.map((f) => f.name)).toContain(t.missing.function);
          expect((index.get(t.missing.function) as FunctionDef).parameters.required).toContain(
            t.missing.param,
          );
        }
      });
    }
    expect(seen.miss_func).toBeGreaterThan(50);
    expect(seen.miss_params).toBeGreaterThan(50);
  });

  it('a one-turn FSP can still miss a function (after its turn) or a value (before it)', () => {
    const pool = indexPool({ functions: examplePool() });
    const [a, b] = [...pool.keys()].sort() as [string, string];
    const turns: FspTurn[] = [{ functions: [{ name: a, via: 'walk' }], labels: ['walk'] }];
    const func = applySplit(turns, pool, new Map(), createRng(1), { splitProb: 1, missFuncProb: 1 });
    expect(func).toMatchObject({ split: 'miss_func', wanted: 'miss_func' });
    expect(func.turns[1]?.missing?.function).not.toBe(a);
    const params = applySplit(turns, pool, new Map(), createRng(1), { splitProb: 1, missFuncProb: 0 });
    expect(params).toMatchObject({ split: 'miss_params', wanted: 'miss_params' });
    expect(params.turns.map((t) => t.labels)).toEqual([['miss_params'], ['walk', 'provides_missing']]);
    // nothing outside the FSP and no required value: neither kind is possible, and the result says so
    const bare = new Map([
      [
        b,
        {
          ...(pool.get(b) as FunctionDef),
          parameters: { type: 'object' as const, properties: {}, required: [] },
        },
      ],
    ]);
    const none = applySplit(
      [{ functions: [{ name: b, via: 'walk' }], labels: ['walk'] }],
      bare,
      new Map(),
      createRng(1),
      {
        splitProb: 1,
        missFuncProb: 0.5,
      },
    );
    expect(none.split).toBe('none');
    expect(none.wanted).toBeDefined();
  });

  it('provideFuncProb: 1 adds a turn after each miss_func turn that offers and calls its function; 0 adds none', () => {
    const pool = examplePool();
    const index = indexPool({ functions: pool });
    const g = buildGraphOffline(pool, graphConfig);
    let provided = 0;
    for (let s = 0; s < 300; s++) {
      const input = { graph: g, pool: index, seed: deriveSeed(7, s), distractors: 3 };
      const base = planConversation({ ...input, ops: { ...ops, splitProb: 1 } });
      const none = planConversation({ ...input, ops: { ...ops, splitProb: 1, provideFuncProb: 0 } });
      const all = planConversation({ ...input, ops: { ...ops, splitProb: 1, provideFuncProb: 1 } });
      // 0 is the option's absence: the very same plan
      expect(none).toEqual(base);
      expect(none.fsp.turns.some((t) => t.labels.includes('provides_function'))).toBe(false);
      const m = base.fsp.turns.findIndex((t) => t.missing?.kind === 'miss_func');
      if (m < 0) {
        expect(all).toEqual(base);
        continue;
      }
      provided++;
      const missing = base.fsp.turns[m]?.missing?.function as string;
      const p = all.fsp.turns[m + 1] as FspTurn;
      expect(p).toEqual({
        functions: [{ name: missing, via: 'walk' }],
        labels: ['provides_function'],
        adds: [missing],
      });
      expect(all.fsp.trace).toEqual({ ...base.fsp.trace, providesFunction: true });
      // the rest of the plan is untouched: the same turns around it, the same distractors, plus the function
      expect([...all.fsp.turns.slice(0, m + 1), ...all.fsp.turns.slice(m + 2)]).toEqual(base.fsp.turns);
      expect(all.tools).toEqual([...base.tools, missing].sort());
      // offered from the providing turn on, never before it
      for (let h = 0; h < all.fsp.turns.length; h++)
        expect(offeredAt(all.fsp, all.tools, h).includes(missing)).toBe(h > m);
      expect(offeredAt(all.fsp, all.tools, m)).toEqual(base.tools);
      // a record without the providing turn never offers the function
      const kept = new Set(all.fsp.turns.map((_, i) => i).filter((i) => i !== m + 1));
      expect(offeredAt(all.fsp, all.tools, all.fsp.turns.length - 1, kept)).toEqual(base.tools);
    }
    expect(provided).toBeGreaterThan(50);
  });

  it('applySplit draws the provide chance only for a miss_func split', () => {
    const pool = indexPool({ functions: examplePool() });
    const [a] = [...pool.keys()].sort() as [string];
    const turns: FspTurn[] = [{ functions: [{ name: a, via: 'walk' }], labels: ['walk'] }];
    const cfg = { splitProb: 1, missFuncProb: 0, provideFuncProb: 1 };
    const params = applySplit(turns, pool, new Map(), createRng(1), cfg);
    expect(params.provides).toBeUndefined();
    expect(params.turns.map((t) => t.labels)).toEqual([['miss_params'], ['walk', 'provides_missing']]);
    const func = applySplit(turns, pool, new Map(), createRng(1), { ...cfg, missFuncProb: 1 });
    expect(func.provides).toBe(true);
    expect(func.turns.map((t) => t.labels)).toEqual([['walk'], ['miss_func'], ['provides_function']]);
    expect(func.turns[2]?.adds).toEqual([func.turns[1]?.missing?.function]);
  });

  it('applies Split and its kinds at the configured rates on the example pool', () => {
    const pool = examplePool();
    const index = indexPool({ functions: pool });
    const g = buildGraphOffline(pool, graphConfig);
    for (const [splitProb, missFuncProb] of [
      [0.5, 0.5],
      [0.3, 0.8],
    ] as const) {
      let split = 0;
      let missFunc = 0;
      const n = 1000;
      for (let s = 0; s < n; s++) {
        const { trace } = planConversation({
          graph: g,
          pool: index,
          seed: deriveSeed(11, s),
          ops: { ...ops, splitProb, missFuncProb },
          distractors: 3,
        }).fsp;
        if (trace.split !== 'none') split++;
        if (trace.split === 'miss_func') missFunc++;
      }
      // binomial: 4 standard deviations of n draws (so the test fails on a real bias, not by chance)
      const within = (k: number, m: number, p: number): void =>
        expect(Math.abs(k / m - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / m) + 0.02);
      within(split, n, splitProb);
      within(missFunc, split, missFuncProb);
    }
  });
});

describe('determinism', () => {
  it('same seed gives the same plan; different seeds differ', () => {
    const pool = examplePool();
    const index = indexPool({ functions: pool });
    const g = buildGraphOffline(pool, graphConfig);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), (seed) => {
        const a = planConversation({ graph: g, pool: index, seed, ops, distractors: 3 });
        const b = planConversation({ graph: g, pool: index, seed, ops, distractors: 3 });
        expect(b).toEqual(a);
      }),
      { numRuns: 50 },
    );
    const plans = new Set(
      Array.from({ length: 20 }, (_, i) =>
        JSON.stringify(planConversation({ graph: g, pool: index, seed: i, ops, distractors: 3 }).fsp),
      ),
    );
    expect(plans.size).toBeGreaterThan(15);
    expect(buildGraphOffline(pool, graphConfig)).toEqual(g);
  });
});
