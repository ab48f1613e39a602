import { z } from 'zod';
import type { ConversationRecord, ExecutedCall } from './conversation';
import { FailureType } from './failures';

const counts = z.record(z.string(), z.number()).default({});

/**
 * What became of a run's calls and turns (report.json `outcomes`), counted over the records on disk and the
 * failure records. Calls are those of the turns a record holds: the calls of a dropped turn are not kept.
 * Every field has a default, so a report of another shape here still reads.
 */
export const Outcomes = z.object({
  /** Calls by outcome: `ok`, or `tool_error` (the tool answered that the call failed). */
  calls: z.object({ ok: z.number().default(0), tool_error: z.number().default(0) }).default({
    ok: 0,
    tool_error: 0,
  }),
  /** Calls by who executed them: builtin, simulated, http, mcp:<server>. */
  callsBySource: counts,
  /** Turns written again after their calls failed (`regenerated > 0`), and the rewrites in all. */
  regeneratedTurns: z.number().default(0),
  regenerations: z.number().default(0),
  /** Turns kept with failed calls, labelled `tool_error`. */
  keptErrorTurns: z.number().default(0),
  /**
   * Turns the records left out because calls did not go as planned, by cause: `tool_error` (a call failed),
   * `not_made` (a planned call could not be made), `depends` (it used a removed turn's outputs or values).
   */
  droppedTurns: counts,
  /**
   * Conversations failed or waiting for `magnet retry` because a tool's server or service did not answer
   * (ToolUnavailable), by source: `mcp:<server>`, `openapi:<service>`, or `unknown`.
   */
  infrastructure: counts,
});
export type Outcomes = z.infer<typeof Outcomes>;

/** The causes a record's grounding drops turns for, shown even at 0 (`pair` and `state` when they occur). */
const GROUNDING_CAUSES = ['tool_error', 'not_made', 'depends'] as const;

/** A call's outcome; records of earlier releases have none: an `error` meant the call failed. */
export function callOutcome(c: Pick<ExecutedCall, 'outcome' | 'error'>): 'ok' | 'tool_error' {
  return c.outcome ?? (c.error !== undefined ? 'tool_error' : 'ok');
}

/**
 * The source a ToolUnavailable failure names: its message starts `MCP server <name> (...)` or
 * `OpenAPI service <name> (...)` (src/tools/execute.ts), or `... <name>: setup call ...`; `unknown` otherwise.
 */
export function unavailableSource(message: string): string {
  const m = /^(MCP server|OpenAPI service) (.+?)(?: \(|: | did not start|$)/.exec(message);
  if (!m?.[2]) return 'unknown';
  return `${m[1] === 'MCP server' ? 'mcp' : 'openapi'}:${m[2]}`;
}

const bump = (m: Record<string, number>, k: string, n = 1): void => {
  m[k] = (m[k] ?? 0) + n;
};

/** Counts Outcomes one record (and one failure record) at a time: a run may have millions. */
export class OutcomeCounter {
  private readonly o: Outcomes = {
    calls: { ok: 0, tool_error: 0 },
    callsBySource: {},
    regeneratedTurns: 0,
    regenerations: 0,
    keptErrorTurns: 0,
    droppedTurns: Object.fromEntries(GROUNDING_CAUSES.map((c) => [c, 0])),
    infrastructure: {},
  };

  /** A record, exported or emptied (an emptied one holds no turn, only what its grounding dropped). */
  add(rec: Pick<ConversationRecord, 'turns' | 'grounding'>): void {
    for (const t of rec.turns) {
      for (const c of t.calls) {
        this.o.calls[callOutcome(c)]++;
        bump(this.o.callsBySource, c.executor);
      }
      if ((t.regenerated ?? 0) > 0) {
        this.o.regeneratedTurns++;
        this.o.regenerations += t.regenerated ?? 0;
      }
    }
    this.o.keptErrorTurns += rec.grounding?.keptErrorTurns.length ?? 0;
    for (const d of rec.grounding?.dropped ?? []) bump(this.o.droppedTurns, d.cause);
  }

  /** A failure record (`failed/<conv>.json`): only a ToolUnavailable one counts, under the source it names. */
  addFailure(f: { type?: string; message?: string }): void {
    if (f.type === FailureType.ToolUnavailable)
      bump(this.o.infrastructure, unavailableSource(f.message ?? ''));
  }

  result(): Outcomes {
    const o = this.o;
    return {
      ...o,
      calls: { ...o.calls },
      callsBySource: { ...o.callsBySource },
      droppedTurns: { ...o.droppedTurns },
      infrastructure: { ...o.infrastructure },
    };
  }
}

/** Conversations that failed for an unavailable tool source, over all sources. */
export function infrastructureTotal(o: Pick<Outcomes, 'infrastructure'>): number {
  return Object.values(o.infrastructure).reduce((a, b) => a + b, 0);
}
