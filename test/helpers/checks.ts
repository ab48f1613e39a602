import { ConversationRecord, type ExecutedCall } from '../../src/core/conversation';
import { valueAtField } from '../../src/core/fields';
import type { FunctionDef } from '../../src/core/pool';
import { argumentProblem } from '../../src/tools/execute';
import type { OpenAIChatExample } from '../../src/export/openai';
import { toolsAtTurn } from '../../src/export/rows';

/**
 * The output checks every synthesis run must pass, whatever the backend: records are well-formed, calls
 * follow the FSP, every required argument is filled from the query or an earlier output (and the value
 * really is that output's field), nested functions are not named in the query, empty turns make no call.
 */
export function checkRecord(raw: unknown, pool: ReadonlyMap<string, FunctionDef>): ConversationRecord {
  const rec = ConversationRecord.parse(raw);
  // every planned turn is in the record, unless the quality filter or the grounding (failed or unmade calls)
  // removed it: the record says so
  const removed = new Set([
    ...(rec.quality?.dropped.map((d) => d.turn) ?? []),
    ...(rec.grounding?.dropped.map((d) => d.turn) ?? []),
  ]);
  expect(rec.turns.map((t) => t.index)).toEqual(
    rec.fsp.turns.map((_, i) => i).filter((i) => !removed.has(i)),
  );
  const fspFns = rec.fsp.turns.flatMap((t) => t.functions.map((f) => f.name));
  for (const f of fspFns) expect(rec.tools).toContain(f);
  const allCalls = new Map<string, { call: ExecutedCall; turn: number }>();
  rec.turns.forEach((turn) => {
    const h = turn.index;
    const planned = rec.fsp.turns[h];
    // a turn kept with failed calls says so (execution.keepErrorTurns); no other turn has a failed call
    const kept = rec.grounding?.keptErrorTurns.includes(h) === true;
    expect(turn.labels).toEqual(kept ? [...(planned?.labels ?? []), 'tool_error'] : planned?.labels);
    if (!kept) expect(turn.calls.filter((c) => c.error).map((c) => c.error)).toEqual([]);
    expect(turn.query.length).toBeGreaterThan(10);
    expect(turn.assistant.final.length).toBeGreaterThan(0);
    if (turn.missing) {
      expect(turn.calls).toEqual([]);
      expect(turn.assistant.steps).toEqual([]);
      // the missing function is not offered at its turn (a later turn may provide it: ops.provideFuncProb)
      if (turn.missing.kind === 'miss_func') expect(toolsAtTurn(rec, h)).not.toContain(turn.missing.function);
      return;
    }
    // valid by construction: the calls made are the turn's functions in order, except those whose input
    // could not be had (a call of the turn failed); every call made has all its arguments, of the right types
    // (a call is not made when a call it depends on failed or returned no usable value for its input)
    const names = turn.functions.map((f) => f.name);
    let next = 0;
    for (const c of turn.calls) {
      const at = names.indexOf(c.name, next);
      expect({ call: c.id, inOrder: at >= 0 }).toEqual({ call: c.id, inOrder: true });
      next = at + 1;
    }
    for (const call of turn.calls) {
      const def = pool.get(call.name);
      expect(def).toBeDefined();
      expect(toolsAtTurn(rec, h)).toContain(call.name);
      if (def)
        expect({ call: call.id, problem: argumentProblem(def, call.arguments) }).toEqual({ call: call.id });
      for (const r of def?.parameters.required ?? []) {
        expect(call.arguments).toHaveProperty([r]);
        expect(call.sources[r]).toBeDefined();
      }
      for (const [param, src] of Object.entries(call.sources)) {
        if (src.kind === 'call') {
          const from =
            allCalls.get(src.call) ??
            (turn.calls.find((c) => c.id === src.call)
              ? { call: turn.calls.find((c) => c.id === src.call) as ExecutedCall, turn: h }
              : undefined);
          expect(from).toBeDefined();
          if (from && !from.call.error) {
            expect(call.arguments[param]).toEqual(valueAtField(from.call.output, src.field));
          }
        } else if (src.kind === 'query') {
          expect(src.turn).toBeLessThanOrEqual(h);
        }
      }
    }
    // nested functions are implied, never named; and they depend on some earlier output
    turn.functions.forEach((f) => {
      if (f.via === 'walk') return;
      expect(turn.query).not.toContain(f.name);
      const call = turn.calls.find((c) => c.name === f.name);
      // unless the call it depends on failed, a nested call takes some argument from an earlier output
      const from = f.nestedFrom;
      const source =
        from && rec.turns.find((t) => t.index === from.turn)?.calls.find((c) => c.name === from.name);
      if (call && source && !source.error)
        expect(Object.values(call.sources).some((s) => s.kind === 'call')).toBe(true);
    });
    turn.calls.forEach((c) => allCalls.set(c.id, { call: c, turn: h }));
  });
  const calls = rec.turns.flatMap((t) => t.calls);
  expect(rec.stats).toEqual({
    turns: rec.turns.length,
    calls: calls.length,
    failedCalls: calls.filter((c) => c.error).length,
    negatives: rec.turns.reduce((n, t) => n + t.negatives.length, 0),
  });
  return rec;
}

/** An OpenAI chat example matches its record: one user message per turn, tool results answer tool calls. */
export function checkChatExample(ex: OpenAIChatExample, rec: ConversationRecord): void {
  expect(ex.messages[0]?.role).toBe('system');
  expect(ex.messages.filter((m) => m.role === 'user').map((m) => (m as { content: string }).content)).toEqual(
    rec.turns.map((t) => t.query),
  );
  expect(ex.tools.map((t) => t.function.name)).toEqual(rec.tools);
  const callsById = new Map(rec.turns.flatMap((t) => t.calls).map((c) => [c.id, c]));
  let pending: string[] = [];
  for (const m of ex.messages) {
    if (m.role === 'tool') {
      expect(pending).toContain(m.tool_call_id);
      pending = pending.filter((id) => id !== m.tool_call_id);
      continue;
    }
    expect(pending).toEqual([]);
    if (m.role === 'assistant' && m.tool_calls) {
      for (const tc of m.tool_calls) {
        const call = callsById.get(tc.id);
        expect(call?.name).toBe(tc.function.name);
        expect(JSON.parse(tc.function.arguments)).toEqual(call?.arguments);
      }
      pending = m.tool_calls.map((t) => t.id);
    }
  }
  expect(pending).toEqual([]);
  expect(ex.messages[ex.messages.length - 1]?.role).toBe('assistant');
  // OpenAI's fine-tuning format allows these keys only; provenance lives in the sidecar file
  expect(Object.keys(ex).sort()).toEqual(['messages', 'parallel_tool_calls', 'tools']);
}
