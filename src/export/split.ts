import { createRng, deriveSeed } from '../core/rng';

/**
 * The conversations (by position in the run's sorted record list) that go to the validation split: a seeded
 * choice of round(n × (1 − train)) of them, at least one when there are two or more and train < 1, so a
 * validation file is never empty by accident. Whole conversations go to one side: no turn of a validation
 * conversation is ever trained on.
 */
export function validationSet(n: number, train: number, seed: number): Set<number> {
  if (!(train > 0 && train <= 1)) throw new RangeError(`split must be in (0, 1], got ${train}`);
  if (train === 1 || n < 2) return new Set();
  const size = Math.min(n - 1, Math.max(1, Math.round(n * (1 - train))));
  const rng = createRng(deriveSeed(seed, 'export-split'));
  // partial Fisher-Yates over the positions: memory is 4 bytes a conversation
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const chosen = new Set<number>();
  for (let i = 0; i < size; i++) {
    const j = i + rng.int(n - i);
    const pick = order[j] as number;
    order[j] = order[i] as number;
    order[i] = pick;
    chosen.add(pick);
  }
  return chosen;
}
