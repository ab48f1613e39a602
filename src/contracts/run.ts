import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { GraphStats } from '../core/graph';
import type { OpRate } from '../core/op-rates';
import type { Outcomes } from '../core/outcomes';
import type { PaidUsage, Usage } from '../core/usage';
import type { DpoGroup, Kind, MixTally } from '../core/mix';
import type { RunInput } from '../core/config';
import type { DedupCounts } from '../export/dedup';

/** The workflow type of a run, as clients name it when they start one. */
export const RUN_WORKFLOW = 'synthesisRun';
/**
 * The run (parent): pool -> graph -> one conversation per item -> export. `carry` and `batch` are set only by
 * the run itself when it continues as new.
 */
export type RunWorkflow = (input: RunInput, carry?: RunCarry, batch?: number) => Promise<RunSummary>;

/** What survives continue-as-new: where the run is, never the conversations themselves. */
export interface RunCarry {
  poolRef: string;
  graphRef: string;
  graphStats: GraphStats;
  next: number;
  completed: number;
  failed: number;
  failures: Record<string, number>;
  turns: number;
  calls: number;
  retried: number;
  usage: Usage;
  /**
   * Conversations still waiting for a retry when the run continued as new: they were left running
   * (abandoned, not cancelled) and report their end by signal to this run's workflow id.
   */
  orphans?: number[];
  /** `magnet stop` was asked before the run continued as new. */
  stopped?: boolean;
  /** Completed items per kind (runs with a mix). */
  kinds?: Partial<Record<Kind, number>>;
  /** The run was paused when it continued as new (with why, when a role paused it). */
  paused?: { pause?: RunPause };
  /** `role.field` overrides `magnet resume --set` gave, for the conversations started from then on. */
  overrides?: Record<string, string>;
}

/**
 * Why a run paused itself: a role's answers keep failing validation after their repair (llm/fitness). The
 * reason is one line naming the role, the model and the commonest problem.
 */
export interface RunPause {
  reason: string;
  role?: string;
  model?: string;
  /** The workflow that found it (a conversation or the graph). */
  by?: string;
}

/** `magnet resume --set role.field=V`: overrides for the conversations started from then on and those running. */
export interface RunResume {
  set?: Record<string, string>;
}

/** What a run reports at its end (also written as report.json). */
export interface RunSummary {
  runId: string;
  /** Conversations written (exported). */
  conversations: number;
  failed: number;
  /**
   * Conversations that ended with every turn removed by the filters (quality, or failed calls): kept in
   * filtered/, not exported. Absent when none (and in reports of earlier releases).
   */
  emptied?: number;
  turns: number;
  calls: number;
  failedCalls: number;
  labels: Record<string, number>;
  /**
   * Calls by outcome and by source, regenerated turns, kept error turns and dropped turns by cause, and
   * conversations that failed for an unavailable tool source, by source. Absent in reports of earlier releases.
   */
  outcomes?: Outcomes;
  failures: Record<string, number>;
  backend: string;
  /** LLM usage as counted by the workflows (what the run's conversations report). */
  usage: Usage;
  /**
   * LLM usage from the call ledger: every request actually sent, including ones in failed attempts; with the
   * cached input tokens, what they cost and saved, and the reasoning tokens (0 in reports of earlier releases).
   */
  ledger: PaidUsage & { byRole: Record<string, PaidUsage> };
  /** mDPO pairs written (0 without a student model). */
  dpoPairs: number;
  /** The pairs by group of the paper's mDPO set (single_turn, multi_turn, irrelevance); absent with none. */
  dpoByGroup?: Partial<Record<DpoGroup, number>>;
  /** Planned (config) vs realised rate of each op over the written multi-turn conversations. */
  ops?: OpRate[];
  /** Items per kind: planned by the mix, and realised (records written); absent for runs without a mix. */
  mix?: MixTally;
  /**
   * The per-turn quality filter: turns judged, turns removed by cause (`low_quality:<check>` per failed
   * check), and conversations it emptied (kept in filtered/, not exported). Absent when nothing was judged.
   */
  quality?: {
    judged: number;
    dropped: Record<string, number>;
    turnsDropped: number;
    conversationsFiltered: number;
  };
  /** Turns whose query repeats an earlier one, left out of the exports when config quality.dedup is set. */
  duplicates?: DedupCounts;
  /** Set when `magnet stop` ended the run early: conversations never started, and those left waiting. */
  stopped?: { notStarted: number; waiting: number };
  files: { sft: string; dpo?: string; report: string; conversations: string; exports?: string[] };
}

export interface RunProgress {
  runId: string;
  phase: 'pool' | 'graph' | 'conversations' | 'export' | 'done';
  paused: boolean;
  /** Why the run paused itself (absent when paused by `magnet pause`, and when running). */
  pause?: RunPause;
  /** Overrides of the roles `magnet resume --set` gave (absent when none). */
  overrides?: Record<string, string>;
  /** `magnet stop`: no new conversations; those running finish, then the run exports what it has. */
  stopping?: boolean;
  planned: number;
  started: number;
  completed: number;
  failed: number;
  inFlight: number;
  /** Conversations (among those in flight) waiting for `magnet retry` after a failed turn. */
  waiting: number;
  failures: Record<string, number>;
  turns: number;
  calls: number;
  retried: number;
  usage: Usage;
  graph?: GraphStats;
  /** Items per kind: planned by the mix, and completed so far (runs with a mix). */
  mix?: MixTally;
  summary?: RunSummary;
}

export const progressQuery = defineQuery<RunProgress>('progress');
/**
 * Stops starting conversations. `magnet pause` sends no argument; a conversation or the graph whose role was
 * found unfit sends why (the run shows it until resumed). Old senders and handlers ignore the argument.
 */
export const pauseSignal = defineSignal<[RunPause?]>('pause');
/** Starts conversations again; `set` overrides roles of the conversations started from then on and running. */
export const resumeSignal = defineSignal<[RunResume?]>('resume');
/**
 * Ends a run early but gracefully, unlike cancel: no conversation starts any more, those running finish,
 * and the run exports what it has. Conversations waiting for a retry are not waited for (they stay
 * retryable; their records are written when they end). A handler adds no command: no patch needed.
 */
export const stopSignal = defineSignal('stop');
