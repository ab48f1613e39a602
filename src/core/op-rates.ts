import type { z } from 'zod';
import type { OpsConfig, OpsTrace } from './ops';

/** Sums of the FSPs' traces over a run's records: what the ops did, to set beside what the config asked. */
export interface TraceTotals {
  conversations: number;
  mergeBoundaries: number;
  merges: number;
  insertsShort: number;
  insertsLong: number;
  /** Conversations with a Split, and of them those whose empty turn is miss_func. */
  split: number;
  missFunc: number;
  /** Conversations that drew a Split kind no turn allowed: the other kind was used (fallback), or none. */
  splitFallback: number;
  splitImpossible: number;
  /** Conversations whose miss_func turn is followed by a turn that provides the missing function. */
  providesFunction: number;
}

export const NO_TRACE: TraceTotals = {
  conversations: 0,
  mergeBoundaries: 0,
  merges: 0,
  insertsShort: 0,
  insertsLong: 0,
  split: 0,
  missFunc: 0,
  splitFallback: 0,
  splitImpossible: 0,
  providesFunction: 0,
};

export function addTrace(t: TraceTotals, trace: z.infer<typeof OpsTrace>): TraceTotals {
  return {
    conversations: t.conversations + 1,
    mergeBoundaries: t.mergeBoundaries + trace.mergeBoundaries,
    merges: t.merges + trace.merges,
    insertsShort: t.insertsShort + trace.insertsShort,
    insertsLong: t.insertsLong + trace.insertsLong,
    split: t.split + (trace.split !== 'none' ? 1 : 0),
    missFunc: t.missFunc + (trace.split === 'miss_func' ? 1 : 0),
    splitFallback:
      t.splitFallback +
      (trace.splitWanted && trace.split !== 'none' && trace.split !== trace.splitWanted ? 1 : 0),
    splitImpossible: t.splitImpossible + (trace.splitWanted && trace.split === 'none' ? 1 : 0),
    providesFunction: t.providesFunction + (trace.providesFunction ? 1 : 0),
  };
}

export interface OpRate {
  op: 'merge' | 'insert_long_share' | 'split' | 'split_miss_func_share' | 'provide_func_share';
  /** The config's probability. */
  planned: number;
  /** The realised share, undefined when nothing could have applied (no basis). */
  realised: number | undefined;
  /** How many chances the op had, and of what. */
  basis: number;
  of: string;
  /** Chances where the op was drawn but could not be applied as drawn, and why (absent when none). */
  unapplied?: { count: number; why: string };
}

/**
 * Planned vs realised rate of each op. Each rate is taken over the chances the op really had (a merge per
 * boundary between walk steps, a split per conversation...), so a gap says the planner could not apply the op
 * as often as asked (e.g. a Split needs a turn whose function can go missing), not that the sample is small.
 * The provided-function share is listed when the config asks for it or a record has one (runs without the
 * option report what they reported before).
 */
export function opRates(t: TraceTotals, ops: OpsConfig): OpRate[] {
  const ratio = (a: number, b: number): number | undefined => (b > 0 ? a / b : undefined);
  const inserts = t.insertsShort + t.insertsLong;
  return [
    {
      op: 'merge',
      planned: ops.mergeProb,
      realised: ratio(t.merges, t.mergeBoundaries),
      basis: t.mergeBoundaries,
      of: 'boundaries between walk steps',
    },
    {
      op: 'insert_long_share',
      planned: ops.longInsertProb,
      realised: ratio(t.insertsLong, inserts),
      basis: inserts,
      of: 'inserts',
    },
    {
      op: 'split',
      planned: ops.splitProb,
      realised: ratio(t.split, t.conversations),
      basis: t.conversations,
      of: 'conversations',
      ...(t.splitImpossible > 0
        ? { unapplied: { count: t.splitImpossible, why: 'no turn allowed either kind of split' } }
        : {}),
    },
    {
      op: 'split_miss_func_share',
      planned: ops.missFuncProb,
      realised: ratio(t.missFunc, t.split),
      basis: t.split,
      of: 'splits',
      ...(t.splitFallback > 0
        ? {
            unapplied: {
              count: t.splitFallback,
              why: 'no turn allowed the drawn kind: the other kind was used',
            },
          }
        : {}),
    },
    ...(ops.provideFuncProb > 0 || t.providesFunction > 0
      ? [
          {
            op: 'provide_func_share' as const,
            planned: ops.provideFuncProb,
            realised: ratio(t.providesFunction, t.missFunc),
            basis: t.missFunc,
            of: 'miss_func splits',
          },
        ]
      : []),
  ];
}
