import { z } from 'zod';
import { createRng, deriveSeed } from './rng';
import { DroppedTurn, withDependents, type TurnShape } from './quality';

/**
 * Which turns a record keeps when calls did not go as planned. A turn whose calls failed (the tool answered an
 * error) teaches failure when it is exported as a normal turn, so it is kept only as a labelled `tool_error`
 * turn, each with probability `keepErrorTurns` (seeded: the same record every time), which bounds them to
 * that share of turns; a turn whose planned calls could not all be made (an input missing) is never kept: its
 * assistant would answer a request it did not act on. Turns that used a removed turn's outputs or values go
 * with it (quality's `withDependents`).
 */
export const GroundingRecord = z.object({
  dropped: z.array(DroppedTurn),
  /** Turns kept with failed calls, labelled `tool_error`. */
  keptErrorTurns: z.array(z.number().int()),
});
export type GroundingRecord = z.infer<typeof GroundingRecord>;

export interface GroundedTurn extends TurnShape {
  /** `source`: the outside server or service that executed the call (its state outlives the turn). */
  calls: (TurnShape['calls'][number] & { error?: string; source?: string })[];
  /** How many calls the plan made for it (its FSP functions); 0 for a turn that asks or declines. */
  planned: number;
  /** Why its calls failed or were not made, as execution reported (absent: read from the calls). */
  failures?: readonly string[];
}

export function groundTurns(
  turns: readonly GroundedTurn[],
  seed: number,
  keepErrorTurns: number,
): GroundingRecord {
  const remove = new Map<number, Omit<DroppedTurn, 'turn'>>();
  const kept: number[] = [];
  for (const t of turns) {
    // what went wrong stays in the record, for the user to see which tools or values fail
    const errors = (t.failures ?? t.calls.flatMap((c) => (c.error ? [`${c.id}: ${c.error}`] : [])))
      .slice(0, 3)
      .map((e) => e.slice(0, 300));
    const why = errors.length ? { errors } : {};
    if (t.calls.length < t.planned) remove.set(t.index, { cause: 'not_made', ...why });
    else if (t.calls.some((c) => c.error)) {
      if (createRng(deriveSeed(seed, 'keep-error-turn', t.index)).chance(keepErrorTurns)) kept.push(t.index);
      else remove.set(t.index, { cause: 'tool_error', ...why });
    }
  }
  const dropped = withStateDependents(turns, remove);
  const gone = new Set(dropped.map((d) => d.turn));
  return { dropped, keptErrorTurns: kept.filter((k) => !gone.has(k)) };
}

/**
 * withDependents, and also the turns that ran on an outside source after a removed turn had changed it (a
 * call of it succeeded there): the record is replayed from the drawn state, and without the removed turn the
 * server would answer them otherwise. Until no turn is added.
 */
export function withStateDependents(
  turns: readonly Pick<GroundedTurn, 'index' | 'labels' | 'calls'>[],
  remove: ReadonlyMap<number, Omit<DroppedTurn, 'turn'>>,
): DroppedTurn[] {
  const all = new Map(remove);
  for (;;) {
    const dropped = withDependents(turns, all);
    for (const d of dropped) all.set(d.turn, { ...d });
    const changed = new Set<string>();
    let added = false;
    for (const t of turns) {
      if (all.has(t.index)) {
        for (const c of t.calls) if (c.source && !c.error) changed.add(c.source);
      } else if (t.calls.some((c) => c.source && changed.has(c.source))) {
        all.set(t.index, { cause: 'state' });
        added = true;
      }
    }
    if (!added) return [...all.entries()].sort((a, b) => a[0] - b[0]).map(([turn, d]) => ({ ...d, turn }));
  }
}
