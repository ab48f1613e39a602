import { z } from 'zod';
import { createRng, deriveSeed } from './rng';

/**
 * The data mix (MAGNET stage 7). Besides multi-turn conversations, a run makes single-turn items in BFCL's
 * senses: `single` (one call; with distractors offered it is BFCL's "multiple", choosing one of several),
 * `parallel` (one function called with several argument sets in one turn), `multiple` (several different
 * functions called in one turn: BFCL's "parallel_multiple") and `irrelevance` (no offered tool fits, or a
 * required value is missing: the answer declines or asks, no call).
 */
export const KINDS = ['single', 'parallel', 'multiple', 'multi_turn', 'irrelevance'] as const;
export const Kind = z.enum(KINDS);
export type Kind = z.infer<typeof Kind>;

/**
 * The paper's SFT set: 34,000 = single-turn 20,000 + multi-turn 7,800 + irrelevance 6,200 (≈ 59 : 23 : 18).
 * The paper does not say how its 20,000 single-turn items split among single / parallel / multiple; we
 * follow BFCL's non-live AST categories, which the paper evaluates on: simple 400 and multiple 200 (both
 * one call, our `single`), parallel 200, parallel_multiple 200 (our `multiple`), i.e. 3 : 1 : 1.
 * (The paper's mDPO set, 4,556 pairs = 1,556 single-turn / 2,250 multi-turn / 750 irrelevance, applies to
 * negatives, which are made per turn of whatever items the run has; the mix here is the SFT one.)
 */
export const PAPER_MIX: Record<Kind, number> = {
  single: 12_000,
  parallel: 4_000,
  multiple: 4_000,
  multi_turn: 7_800,
  irrelevance: 6_200,
};

/**
 * The paper's mDPO set by kind group: 1,556 single-turn, 2,250 multi-turn and 750 irrelevance pairs. Pairs are
 * made per turn of whatever items the run has, so a run's DPO mix follows its SFT mix; the run reports its
 * pairs by group next to these shares.
 */
export const PAPER_DPO = { single_turn: 1_556, multi_turn: 2_250, irrelevance: 750 } as const;
export type DpoGroup = keyof typeof PAPER_DPO;

/** The group of the paper's mDPO set an item of this kind falls in. */
export function dpoGroup(kind: Kind): DpoGroup {
  return kind === 'multi_turn' || kind === 'irrelevance' ? kind : 'single_turn';
}

/** Relative weights per kind (any scale: counts, percentages or shares); absent kinds weigh 0. */
export const MixConfig = z
  .object(
    Object.fromEntries(KINDS.map((k) => [k, z.number().min(0).max(1e9).optional()])) as Record<
      Kind,
      z.ZodOptional<z.ZodNumber>
    >,
  )
  .strict()
  .refine((m) => KINDS.some((k) => (m[k] ?? 0) > 0), { message: 'at least one kind needs a weight above 0' });
export type MixConfig = z.infer<typeof MixConfig>;

/** A run input recorded before the mix existed has none: all its items are multi-turn, as then. */
export const LEGACY_MIX: MixConfig = { multi_turn: 1 };

/**
 * Exact counts per kind for `total` items by the largest-remainder method: each kind gets ⌊share × total⌋,
 * and the items left over go to the largest remainders (ties in KINDS order). So every count is within one
 * of share × total and the counts sum to the total.
 */
export function mixCounts(mix: MixConfig, total: number): Record<Kind, number> {
  const sum = KINDS.reduce((s, k) => s + (mix[k] ?? 0), 0);
  const exact = KINDS.map((k) => ((mix[k] ?? 0) / sum) * total);
  const counts = exact.map(Math.floor);
  let left = total - counts.reduce((a, b) => a + b, 0);
  const order = KINDS.map((_, i) => i).sort((a, b) => {
    const ra = (exact[a] as number) - (counts[a] as number);
    const rb = (exact[b] as number) - (counts[b] as number);
    return rb - ra || a - b;
  });
  for (const i of order) {
    if (left <= 0) break;
    if ((mix[KINDS[i] as Kind] ?? 0) <= 0) continue;
    counts[i] = (counts[i] as number) + 1;
    left--;
  }
  return Object.fromEntries(KINDS.map((k, i) => [k, counts[i]])) as Record<Kind, number>;
}

/**
 * The kind of every item index: the counts laid out in one seeded shuffle, so kinds interleave (a run
 * stopped early still has a bit of everything) and the same seed gives the same order on every replay.
 * One byte per item (an index into KINDS): the run workflow holds it, and a run may have millions of items.
 */
export function mixOrder(mix: MixConfig, total: number, seed: number): Uint8Array {
  const counts = mixCounts(mix, total);
  const order = new Uint8Array(total);
  let at = 0;
  KINDS.forEach((k, i) => {
    order.fill(i, at, at + counts[k]);
    at += counts[k];
  });
  const rng = createRng(deriveSeed(seed, 'mix'));
  for (let i = total - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = order[i] as number;
    order[i] = order[j] as number;
    order[j] = t;
  }
  return order;
}

export function kindAt(order: Uint8Array, index: number): Kind {
  const k = KINDS[order[index] ?? -1];
  if (!k) throw new RangeError(`item ${index} is outside the mix (${order.length} items)`);
  return k;
}

/** Planned and realised items per kind, as the run summary and report show them. */
export type MixTally = Record<Kind, { planned: number; realised: number }>;

export function mixTally(planned: Record<Kind, number>, realised: Partial<Record<Kind, number>>): MixTally {
  return Object.fromEntries(
    KINDS.map((k) => [k, { planned: planned[k], realised: realised[k] ?? 0 }]),
  ) as MixTally;
}

/** The planned counts of a tally. */
export function plannedOf(tally: MixTally): Record<Kind, number> {
  return Object.fromEntries(KINDS.map((k) => [k, tally[k]?.planned ?? 0])) as Record<Kind, number>;
}
