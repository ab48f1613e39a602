import fc from 'fast-check';
import { buildGraphOffline, GraphConfig } from '../../src/core/graph';
import { indexPool } from '../../src/core/pool';
import { deriveSeed } from '../../src/core/rng';
import { planSingleTurn } from '../../src/core/single-turn';
import { arbPool, examplePool } from '../helpers/pools';

const graphConfig = GraphConfig.parse({});

describe('single-turn items of the mix (one-turn FSPs from the graph)', () => {
  it('plans each kind as it says, on any pool', () => {
    fc.assert(
      fc.property(arbPool, fc.integer({ min: 0, max: 2 ** 31 }), (pool, seed) => {
        const index = indexPool({ functions: pool });
        const graph = buildGraphOffline(pool, graphConfig);
        const input = { graph, pool: index, seed, distractors: 3 };
        const cat = (n: string): string | undefined => index.get(n)?.category;

        const single = planSingleTurn(input, 'single');
        expect(single.fsp.turns).toHaveLength(1);
        const f = single.fsp.turns[0]?.functions ?? [];
        expect(f).toHaveLength(1);
        expect(single.tools).toContain(f[0]?.name);
        for (const t of single.tools) expect(cat(t)).toBe(cat(f[0]?.name as string));

        const parallel = planSingleTurn(input, 'parallel');
        const p = parallel.fsp.turns[0];
        expect(p?.labels).toEqual(['parallel']);
        expect(p?.functions.length).toBeGreaterThanOrEqual(2);
        expect(new Set(p?.functions.map((x) => x.name)).size).toBe(1);
        expect(parallel.tools).toEqual([p?.functions[0]?.name]);

        const multiple = planSingleTurn(input, 'multiple');
        const m = multiple.fsp.turns[0];
        expect(m?.labels).toEqual(['multiple']);
        const names = m?.functions.map((x) => x.name) ?? [];
        expect(new Set(names).size).toBe(names.length);
        for (const n of names) expect(multiple.tools).toContain(n);

        if (pool.length < 2) {
          expect(() => planSingleTurn(input, 'irrelevance')).toThrow(/no function besides/);
          return;
        }
        const irr = planSingleTurn(input, 'irrelevance');
        const t = irr.fsp.turns[0];
        expect(t?.functions).toEqual([]);
        expect(irr.tools.length).toBeGreaterThan(0);
        if (t?.missing?.kind === 'miss_func') {
          expect(irr.tools).not.toContain(t.missing.function);
          // tools of other categories whenever the pool has them
          if (pool.some((d) => d.category !== cat(t.missing?.function as string)))
            for (const n of irr.tools) expect(cat(n)).not.toBe(cat(t.missing.function));
        } else {
          expect(t?.missing?.kind).toBe('miss_params');
          expect(irr.tools).toContain(t?.missing?.function);
          expect(index.get(t?.missing?.function as string)?.parameters.required).toContain(t?.missing?.param);
        }
        // same seed, same plan
        expect(planSingleTurn(input, 'multiple')).toEqual(multiple);
      }),
      { numRuns: 60 },
    );
  });

  it('on the example pool, multiple items call 2-3 functions and irrelevance items take both forms', () => {
    const pool = examplePool();
    const input = {
      graph: buildGraphOffline(pool, graphConfig),
      pool: indexPool({ functions: pool }),
      distractors: 3,
    };
    const sizes = new Set<number>();
    const forms = new Set<string>();
    for (let s = 0; s < 60; s++) {
      const seed = deriveSeed(3, s);
      sizes.add(planSingleTurn({ ...input, seed }, 'multiple').fsp.turns[0]?.functions.length ?? 0);
      forms.add(planSingleTurn({ ...input, seed }, 'irrelevance').fsp.turns[0]?.missing?.kind ?? 'none');
    }
    expect([...sizes].sort()).toEqual([2, 3]);
    expect([...forms].sort()).toEqual(['miss_func', 'miss_params']);
  });
});
