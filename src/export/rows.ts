import { recordStats, type ConversationRecord, type TurnRecord } from '../core/conversation';
import { offeredAt } from '../core/plan';
import type { FunctionDef } from '../core/pool';
import { withDependents } from '../core/quality';
import { toolsOf, type OpenAITool } from './openai';

/**
 * The tools offered at turn `index` (its index in the FSP) of a record as exported: without the functions a
 * later turn adds, and without those whose adding turn the record (or the export) no longer holds.
 */
export function toolsAtTurn(rec: ConversationRecord, index: number): string[] {
  return offeredAt(rec.fsp, rec.tools, index, new Set(rec.turns.map((t) => t.index)));
}

/** The tools offered at a record's turn `index`, as OpenAI tool entries. */
export function turnTools(
  rec: ConversationRecord,
  index: number,
  pool: ReadonlyMap<string, FunctionDef>,
): OpenAITool[] {
  return toolsOf({ ...rec, tools: toolsAtTurn(rec, index) }, pool);
}

/**
 * The functions an exported record offers by its end: a function whose adding turn is not exported is never
 * offered (BFCL entries hold those of the held-out turns in `missed_function`).
 */
export function exportedTools(rec: ConversationRecord): string[] {
  const last = rec.turns[rec.turns.length - 1];
  return last ? toolsAtTurn(rec, last.index) : rec.tools;
}

/** The record holding only `turns` (in order), its stats counted again. */
export function withTurns(rec: ConversationRecord, turns: TurnRecord[]): ConversationRecord {
  return { ...rec, turns, stats: recordStats(turns) };
}

/**
 * Each miss_func turn of the record with every later turn that provides the function it lacked (all held by
 * the record): BFCL's held-out turns, and the conversations chat formats split in two rows.
 */
export function providedPairs(
  rec: ConversationRecord,
): { declined: TurnRecord; provides: TurnRecord; fn: string }[] {
  return rec.turns.flatMap((declined) => {
    const fn = declined.missing?.kind === 'miss_func' ? declined.missing.function : undefined;
    if (fn === undefined) return [];
    return rec.turns
      .filter((u) => u.index > declined.index && u.adds?.includes(fn))
      .map((provides) => ({ declined, provides, fn }));
  });
}

/**
 * A record as rows of a chat format with one tool list per row (openai, trl, hf, sharegpt). A row never offers
 * a tool its assistant says it does not have: a conversation whose miss_func turn is followed by a turn that
 * provides the function becomes two rows, (A) the turns up to and including the miss_func turn, with the
 * tools offered then, and (B) the conversation without the miss_func turn (and any turn that used its
 * query), with the tools offered at its end (the providing turn restates the request: it stands alone).
 * Any other record is one row with the tools offered at its last turn: the record itself when no turn adds
 * a function.
 */
export function chatRows(rec: ConversationRecord): ConversationRecord[] {
  if (!rec.fsp.turns.some((t) => t.adds?.length)) return [rec];
  // a row of these turns, offering what is offered at its last turn given the turns it holds
  const row = (turns: TurnRecord[]): ConversationRecord => {
    const r = withTurns(rec, turns);
    return { ...r, tools: exportedTools(r) };
  };
  const declined = [...new Set(providedPairs(rec).map((p) => p.declined))];
  if (declined.length === 0) return [row(rec.turns)];
  const rows = declined.map((m) => row(rec.turns.filter((t) => t.index <= m.index)));
  const without = new Map(declined.map((m) => [m.index, { cause: 'pair' as const }]));
  const gone = new Set(withDependents(rec.turns, without).map((d) => d.turn));
  const rest = rec.turns.filter((t) => !gone.has(t.index));
  if (rest.length > 0) rows.push(row(rest));
  return rows;
}
