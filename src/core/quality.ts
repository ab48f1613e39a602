import { z } from 'zod';

/**
 * The per-turn quality filter (issue 11, item 4): a judge scores each turn on three checks, and turns below
 * the threshold are dropped or the conversation is cut there. Removing a turn must never leave a later turn
 * ungrounded, so the turns that used its outputs (or its query's values), and the other half of a
 * missing-information pair, go with it. Near-duplicate queries across a run are removed with the same rule.
 */
export const QUALITY_CHECKS = ['intent', 'grounding', 'faithfulness'] as const;
export type QualityCheck = (typeof QUALITY_CHECKS)[number];

const Check = z.object({ score: z.number().min(0).max(1), reason: z.string() });

/** The judge's verdict on one turn: a score per check (1 = fine), each with a short reason. */
export const QualityVerdict = z.object({
  /** Does the query ask for what the calls do (or, for an empty turn, for what is missing)? */
  intent: Check,
  /** Is every argument taken from the query, an earlier query or an earlier output? */
  grounding: Check,
  /** Does the answer say what the results say, without invented values, and own up to failed calls? */
  faithfulness: Check,
});
export type QualityVerdict = z.infer<typeof QualityVerdict>;

export const QualityConfig = z
  .object({
    /** A turn whose lowest check score is below this is filtered (0 keeps every turn). */
    threshold: z.number().min(0).max(1).default(0.5),
    /**
     * drop_turn: remove the low turn (and the later turns that depend on it); cut: end the conversation
     * before the first low turn.
     */
    onLow: z.enum(['drop_turn', 'cut']).default('drop_turn'),
    /**
     * Remove turns whose user query repeats an earlier one of the run (normalised exact match), from the
     * exports; the records keep them. On by default: a repeated query teaches nothing new and weighs the
     * trained model towards it (the paper's filter removes them too). false keeps every turn, so the exports
     * match the records line for line.
     */
    dedup: z.boolean().default(true),
  })
  .strict();
export type QualityConfig = z.infer<typeof QualityConfig>;

/** Why a turn is not in the exported conversation. */
export const DropCause = z.enum([
  'low_quality', // below the threshold (reasons: the checks that failed)
  'cut', // after a low turn, in cut mode
  'depends', // used an output or a query value of a removed turn
  'pair', // the other half of a removed miss_params / provides_missing pair
  'duplicate', // its query repeats an earlier one of the run
  'tool_error', // a call of it failed (the tool answered an error) and it was not kept as a labelled one
  'not_made', // a planned call of it could not be made (an input missing or of the wrong type)
  'state', // it ran on an outside server after a removed turn had changed that server's state
]);
export type DropCause = z.infer<typeof DropCause>;

export const DroppedTurn = z.object({
  turn: z.number().int(),
  cause: DropCause,
  /** The failed checks of a low_quality turn. */
  reasons: z.array(z.enum(QUALITY_CHECKS)).optional(),
  score: z.number().optional(),
  /** Why the calls of a tool_error or not_made turn failed (its calls are not kept), at most three. */
  errors: z.array(z.string()).optional(),
});
export type DroppedTurn = z.infer<typeof DroppedTurn>;

/** What the record says about the filter: each judged turn's score and the turns removed, by cause. */
export const QualityRecord = z.object({
  threshold: z.number(),
  onLow: z.enum(['drop_turn', 'cut']),
  scores: z.array(
    z.object({ turn: z.number().int(), score: z.number(), failed: z.array(z.enum(QUALITY_CHECKS)) }),
  ),
  dropped: z.array(DroppedTurn),
});
export type QualityRecord = z.infer<typeof QualityRecord>;

export function verdictScore(v: QualityVerdict): number {
  return Math.min(...QUALITY_CHECKS.map((c) => v[c].score));
}

export function failedChecks(v: QualityVerdict, threshold: number): QualityCheck[] {
  return QUALITY_CHECKS.filter((c) => v[c].score < threshold);
}

/** The little of a turn that removal needs: its calls' ids, where their arguments came from, its labels. */
export interface TurnShape {
  index: number;
  labels: readonly string[];
  calls: readonly {
    id: string;
    sources: Readonly<Record<string, { kind: string; call?: string; turn?: number }>>;
  }[];
}

/**
 * Removes `remove` (turn index -> cause) from `turns` and, transitively, every turn that depends on a removed
 * one: a call argument sourced from a removed turn's call or query, or the other half of a miss_params /
 * provides_missing pair. Returns the removed turns in order, each with its own cause. A miss_func turn and the
 * provides_function turn after it are no such pair: the latter restates the request and stands alone, and the
 * exports offer a function only with the turn that adds it (export/rows.ts), so either may go alone.
 */
export function withDependents(
  turns: readonly TurnShape[],
  remove: ReadonlyMap<number, Omit<DroppedTurn, 'turn'>>,
): DroppedTurn[] {
  const removed = new Map(remove);
  const callTurn = new Map<string, number>();
  for (const t of turns) for (const c of t.calls) callTurn.set(c.id, t.index);
  let changed = true;
  while (changed) {
    changed = false;
    turns.forEach((t, i) => {
      if (removed.has(t.index)) return;
      const prev = turns[i - 1];
      const next = turns[i + 1];
      const pairGone =
        (t.labels.includes('miss_params') && next && removed.has(next.index)) ||
        (t.labels.includes('provides_missing') &&
          prev?.labels.includes('miss_params') &&
          removed.has(prev.index));
      const dependsGone = t.calls.some((c) =>
        Object.values(c.sources).some((s) => {
          const from =
            s.kind === 'call' && s.call ? callTurn.get(s.call) : s.kind === 'query' ? s.turn : undefined;
          return from !== undefined && from !== t.index && removed.has(from);
        }),
      );
      if (pairGone || dependsGone) {
        removed.set(t.index, { cause: pairGone ? 'pair' : 'depends' });
        changed = true;
      }
    });
  }
  return [...removed.entries()].sort(([a], [b]) => a - b).map(([turn, d]) => ({ turn, ...d }));
}

/**
 * The quality filter over one conversation's judged turns: which turns go and why. Turns without a verdict
 * (none judged) stay.
 */
export function filterTurns(
  turns: readonly TurnShape[],
  verdicts: ReadonlyMap<number, QualityVerdict>,
  config: Pick<QualityConfig, 'threshold' | 'onLow'>,
): { scores: QualityRecord['scores']; dropped: DroppedTurn[] } {
  const scores = turns.flatMap((t) => {
    const v = verdicts.get(t.index);
    return v ? [{ turn: t.index, score: verdictScore(v), failed: failedChecks(v, config.threshold) }] : [];
  });
  const low = new Map<number, Omit<DroppedTurn, 'turn'>>();
  for (const s of scores)
    if (s.score < config.threshold)
      low.set(s.turn, { cause: 'low_quality', reasons: s.failed, score: s.score });
  if (config.onLow === 'cut' && low.size > 0) {
    const first = Math.min(...low.keys());
    for (const t of turns) if (t.index > first && !low.has(t.index)) low.set(t.index, { cause: 'cut' });
  }
  return { scores, dropped: withDependents(turns, low) };
}

/**
 * A query as dedup compares it: case, punctuation and spacing do not make a query new. Exact match after
 * normalisation, not MinHash: template or model queries that differ only in a value ("from Paris" / "from
 * Rome") are different training examples, and word-shingle similarity on 10-20 word queries would call them
 * duplicates.
 */
export function normaliseQuery(q: string): string {
  return q
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Counts by cause over removed turns (and, for low_quality, by failed check: `low_quality:intent`...). */
export function countDrops(
  into: Record<string, number>,
  dropped: readonly DroppedTurn[],
): Record<string, number> {
  const out = { ...into };
  for (const d of dropped) {
    out[d.cause] = (out[d.cause] ?? 0) + 1;
    for (const r of d.reasons ?? []) out[`${d.cause}:${r}`] = (out[`${d.cause}:${r}`] ?? 0) + 1;
  }
  return out;
}
