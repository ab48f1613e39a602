import { createHash } from 'node:crypto';
import type { ConversationRecord } from '../core/conversation';
import { normaliseQuery, withDependents, type DroppedTurn } from '../core/quality';
import { withTurns } from './rows';

/** What the removal of repeated queries did to an export, for the run summary. */
export interface DedupCounts {
  /** How queries are compared: exact match of the normalised text, by its SHA-1. */
  method: 'normalised-exact';
  /** Whether the turns counted here were left out of the exports (config quality.dedup), or only counted. */
  applied: boolean;
  /** Turns whose query repeats an earlier exported one. */
  turns: number;
  /** Turns removed with them: they used their outputs or values, or were the other half of their pair. */
  dependents: number;
  /** Conversations left with no turn, so not exported at all. */
  conversations: number;
}

/**
 * Removes, from the records of a run read in index order, every turn whose normalised query was already
 * exported (first occurrence wins), and the turns that depend on it. It runs over the records on disk at
 * export time, so a crashed or rerun export reaches the same decisions and counts, and the records
 * themselves stay whole. Holds one 20-byte digest per exported query.
 */
export class QueryDedup {
  private readonly seen = new Set<string>();
  readonly counts: DedupCounts;

  constructor(apply = true) {
    this.counts = { method: 'normalised-exact', applied: apply, turns: 0, dependents: 0, conversations: 0 };
  }

  /**
   * The record as exported: without its repeated turns, or undefined when none is left; unchanged when the
   * repeats are only counted (the counts are what removing them would do).
   */
  apply(rec: ConversationRecord): ConversationRecord | undefined {
    const key = (q: string): string => createHash('sha1').update(normaliseQuery(q)).digest('base64');
    const here = new Set<string>();
    const dup = new Map<number, Omit<DroppedTurn, 'turn'>>();
    for (const t of rec.turns) {
      const k = key(t.query);
      if (this.seen.has(k) || here.has(k)) dup.set(t.index, { cause: 'duplicate' });
      here.add(k);
    }
    const removed = dup.size > 0 ? withDependents(rec.turns, dup) : [];
    const gone = new Set(removed.map((d) => d.turn));
    const turns = rec.turns.filter((t) => !gone.has(t.index));
    // the kept turns' queries, in both modes: counting alone gives the very numbers removal would
    for (const t of turns) this.seen.add(key(t.query));
    this.counts.turns += dup.size;
    this.counts.dependents += removed.length - dup.size;
    if (turns.length === 0) this.counts.conversations++;
    if (!this.counts.applied || removed.length === 0) return rec;
    if (turns.length === 0) return undefined;
    return withTurns(rec, turns);
  }
}

/** The records as exported: each through `dedup` when given, the emptied ones left out. */
export async function* dedupRecords(
  records: AsyncIterable<ConversationRecord>,
  dedup: QueryDedup | undefined,
): AsyncGenerator<ConversationRecord> {
  for await (const rec of records) {
    const out = dedup ? dedup.apply(rec) : rec;
    if (out) yield out;
  }
}
