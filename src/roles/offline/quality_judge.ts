import type { AssistantTurn, ExecutedCall } from '../../core/conversation';
import type { FspTurn } from '../../core/ops';
import type { QualityVerdict } from '../../core/quality';
import type { FunctionDef } from '../../core/pool';
import { tokens, words } from '../../core/text';
import { renderValue } from '../../core/values';
import { action } from './common';

/** What the quality judge's rules read of a turn (src/roles/quality_judge.ts builds it from the task). */
export interface QualityTurn {
  query: string;
  previousQueries: readonly string[];
  turn: FspTurn;
  defs: readonly FunctionDef[];
  missingDef?: FunctionDef;
  calls: readonly Pick<ExecutedCall, 'id' | 'name' | 'arguments' | 'sources' | 'output' | 'error'>[];
  history: readonly Pick<ExecutedCall, 'id' | 'name' | 'output' | 'error'>[];
  answer: AssistantTurn;
}

const STOP = new Set([
  'with',
  'from',
  'into',
  'that',
  'this',
  'their',
  'your',
  'given',
  'user',
  'using',
  'value',
]);

/** Word stems of a text (4+ letters, a few suffixes off), for the loose "does it ask for this" match. */
function stems(text: string): Set<string> {
  return new Set(
    tokens(text)
      .filter((w) => w.length >= 4 && !STOP.has(w))
      .map((w) => w.replace(/(ing|ed|es|s)$/, '')),
  );
}

/** The query asks for `def` when it holds a third of the content words of its name and action, at least. */
function asksFor(def: FunctionDef, query: string): boolean {
  if (query.toLowerCase().includes(action(def).toLowerCase())) return true;
  const want = stems(`${words(def.name)} ${action(def)}`);
  const have = stems(query);
  const hit = [...want].filter((w) => have.has(w)).length;
  return want.size > 0 && hit / want.size >= 1 / 3;
}

const ratio = (ok: number, all: number): number => (all === 0 ? 1 : ok / all);
const FAILURE_WORDS = /\b(fail\w*|error\w*|could ?n[o']t|unable|did ?n[o']t work)\b/i;
const DECLINE_WORDS = /\b(sorry|can ?n[o']t|cannot|unable|not able|none of|no (available )?tools?)\b/i;

/**
 * The quality judge's rule checks on one turn (offline backend): intent — the query asks for each function
 * called at the user's request (nested ones are implied, not asked) and nothing else is called; grounding —
 * every argument is found in the query or an earlier one, or equals the output field it is sourced from;
 * faithfulness — every number of the answer comes from the query or the results, failed calls are owned
 * up to, and an empty turn declines or asks.
 */
export function offlineQualityJudge(t: QualityTurn): QualityVerdict {
  const missing = t.turn.missing;
  // intent
  let intent: { score: number; reason: string };
  const stray = t.calls.filter((c) => !t.turn.functions.some((f) => f.name === c.name));
  if (missing) {
    const asked = t.missingDef ? asksFor(t.missingDef, t.query) : false;
    intent =
      t.calls.length > 0
        ? { score: 0, reason: `an empty (${missing.kind}) turn has calls` }
        : {
            score: asked ? 1 : 0,
            reason: asked ? 'asks for the missing function' : `does not ask for ${missing.function}`,
          };
  } else {
    const walk = t.defs.filter((_, i) => t.turn.functions[i]?.via === 'walk');
    const notAsked = walk.filter((d) => !asksFor(d, t.query)).map((d) => d.name);
    intent =
      stray.length > 0
        ? { score: 0, reason: `calls ${stray.map((c) => c.name).join(', ')}, not functions of the turn` }
        : {
            score: ratio(walk.length - notAsked.length, walk.length),
            reason: notAsked.length
              ? `the query does not ask for ${notAsked.join(', ')}`
              : 'asks for every call',
          };
  }
  // grounding
  const queries = [...t.previousQueries, t.query].map((q) => q.toLowerCase());
  const outputs = new Map([...t.history, ...t.calls].map((c) => [c.id, c]));
  const ungrounded: string[] = [];
  let args = 0;
  for (const c of t.calls) {
    for (const [param, value] of Object.entries(c.arguments)) {
      args++;
      const src = c.sources[param];
      const said = (q: string | undefined): boolean =>
        q !== undefined && q.includes(renderValue(value).toLowerCase());
      let ok: boolean;
      if (src?.kind === 'default') ok = true;
      else if (src?.kind === 'query') ok = said(queries[src.turn]);
      else if (src?.kind === 'call') {
        const from = outputs.get(src.call);
        const out = from?.output;
        ok =
          !!from &&
          !from.error &&
          !!out &&
          typeof out === 'object' &&
          JSON.stringify((out as Record<string, unknown>)[src.field]) === JSON.stringify(value);
      } else ok = queries.some(said);
      if (!ok) ungrounded.push(`${c.name}.${param}`);
    }
  }
  const grounding = {
    score: ratio(args - ungrounded.length, args),
    reason: ungrounded.length ? `not grounded: ${ungrounded.join(', ')}` : 'every argument is grounded',
  };
  // faithfulness
  const problems: string[] = [];
  let checks = 0;
  const text = [...t.answer.steps, t.answer.final].join(' ');
  for (const c of t.calls.filter((c) => c.error)) {
    checks++;
    if (!FAILURE_WORDS.test(text)) problems.push(`does not say that ${c.name} failed`);
  }
  const evidence = [...queries, JSON.stringify(t.calls), JSON.stringify(t.history.map((h) => h.output))].join(
    ' ',
  );
  for (const n of t.answer.final.match(/\d+(?:\.\d+)?/g) ?? []) {
    checks++;
    if (!evidence.includes(n)) problems.push(`${n} is in no result`);
  }
  if (missing) {
    checks++;
    const ok =
      missing.kind === 'miss_func' ? DECLINE_WORDS.test(t.answer.final) : t.answer.final.includes('?');
    if (!ok) problems.push(missing.kind === 'miss_func' ? 'does not decline' : 'does not ask for the value');
  }
  const faithfulness = {
    score: ratio(checks - problems.length, checks),
    reason: problems.length ? problems.join('; ') : 'faithful to the results',
  };
  return { intent, grounding, faithfulness };
}
