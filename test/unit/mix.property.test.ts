import fc from 'fast-check';
import { RunConfig } from '../../src/core/config';
import { KINDS, kindAt, mixCounts, mixOrder, PAPER_MIX, type MixConfig } from '../../src/core/mix';

const share = (mix: MixConfig, k: (typeof KINDS)[number]): number =>
  (mix[k] ?? 0) / KINDS.reduce((s, x) => s + (mix[x] ?? 0), 0);

function expectExact(mix: MixConfig, total: number): void {
  const counts = mixCounts(mix, total);
  expect(KINDS.reduce((s, k) => s + counts[k], 0)).toBe(total);
  for (const k of KINDS) {
    expect(Math.abs(counts[k] - share(mix, k) * total)).toBeLessThan(1);
    if ((mix[k] ?? 0) === 0) expect(counts[k]).toBe(0);
  }
}

describe('the mix planner', () => {
  it.each([100, 1000, 34_000])('matches the paper ratios within one item for %i items', (total) => {
    expectExact(PAPER_MIX, total);
  });

  it('gives exactly the paper counts for the paper total', () => {
    expect(mixCounts(PAPER_MIX, 34_000)).toEqual(PAPER_MIX);
    // 59 : 23 : 18 (single-turn : multi-turn : irrelevance) at 100 items
    const c = mixCounts(PAPER_MIX, 100);
    expect([c.single + c.parallel + c.multiple, c.multi_turn, c.irrelevance]).toEqual([59, 23, 18]);
  });

  it('is within one item of ratio x total, summing to the total, for any weights and total', () => {
    const weight = fc.oneof(
      fc.constant(0),
      fc.integer({ min: 1, max: 1000 }),
      fc.double({ min: 0.001, max: 50, noNaN: true }),
    );
    const mix = fc
      .record(
        Object.fromEntries(KINDS.map((k) => [k, weight])) as Record<(typeof KINDS)[number], typeof weight>,
      )
      .filter((m) => KINDS.some((k) => m[k] > 0));
    fc.assert(
      fc.property(mix, fc.integer({ min: 1, max: 200_000 }), (m, total) => expectExact(m, total)),
      { numRuns: 300 },
    );
  });

  it('lays the counts out in a seeded, interleaved order', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3000 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        (total, seed) => {
          const order = mixOrder(PAPER_MIX, total, seed);
          const counts = mixCounts(PAPER_MIX, total);
          const seen = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<(typeof KINDS)[number], number>;
          for (let i = 0; i < total; i++) seen[kindAt(order, i)]++;
          expect(seen).toEqual(counts);
          expect(mixOrder(PAPER_MIX, total, seed)).toEqual(order);
        },
      ),
      { numRuns: 50 },
    );
    // interleaved: the first 100 of 34,000 hold more than one kind, and two seeds differ
    const a = mixOrder(PAPER_MIX, 34_000, 1);
    expect(new Set(Array.from(a.subarray(0, 100))).size).toBeGreaterThan(2);
    expect(Buffer.from(mixOrder(PAPER_MIX, 34_000, 2)).equals(Buffer.from(a))).toBe(false);
  });

  it('validates the config section: defaults to the paper mix, refuses unknown kinds and all-zero weights', () => {
    expect(RunConfig.parse({ pool: 'p', conversations: 3 }).mix).toEqual(PAPER_MIX);
    expect(() => RunConfig.parse({ pool: 'p', conversations: 3, mix: { single: 1, parallell: 2 } })).toThrow(
      /parallell/,
    );
    expect(() => RunConfig.parse({ pool: 'p', conversations: 3, mix: { single: 0 } })).toThrow(
      /at least one kind/,
    );
    expect(() =>
      RunConfig.parse({ pool: 'p', conversations: 3, mix: { single: -1, multi_turn: 1 } }),
    ).toThrow();
  });
});
