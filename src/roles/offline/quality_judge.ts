import type { AssistantTurn, ExecutedCall } from '../../core/conversation';
import type { FspTurn } from '../../core/ops';
import type { QualityVerdict } from '../../core/quality';
import { hintsForParam } from '../../core/hints';
import { arrayItems, type FunctionDef, type JsonSchemaT } from '../../core/pool';
import { tokens, words } from '../../core/text';
import { branchOf } from '../../core/values/schema';
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
  /** Values that exist in the environment, by parameter name (the task's `environment`). */
  environment?: Readonly<Record<string, readonly unknown[]>>;
  /** Records of the environment (the task's `environmentRows`). */
  environmentRows?: readonly Readonly<Record<string, unknown>>[];
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

/** A scalar as the grounding check compares it: its text, lower case (numbers and booleans as written). */
function asText(v: string | number | boolean): string {
  return String(v).trim().toLowerCase();
}

const ALNUM = /[\p{L}\p{N}]/u;
const QUOTED = /["\u201c\u201d`]([^"\u201c\u201d`]*)["\u201c\u201d`]/g;

/**
 * `text` (lower case) states `needle` (lower case): as a whole word or token (no letter or digit glued to
 * either end of it, so "2" is not in "22"), or anywhere inside a quoted part of the text.
 */
function states(text: string, needle: string): boolean {
  if (needle === '') return true;
  for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) {
    const before = text[at - 1];
    const after = text[at + needle.length];
    const glued =
      (ALNUM.test(needle[0] as string) && before !== undefined && ALNUM.test(before)) ||
      (ALNUM.test(needle[needle.length - 1] as string) && after !== undefined && ALNUM.test(after));
    if (!glued) return true;
  }
  for (const m of text.matchAll(QUOTED)) if ((m[1] ?? '').includes(needle)) return true;
  return false;
}

interface Leaf {
  value: string | number | boolean;
  /** The key holding it: the parameter's name at the top, a property's name inside an object. */
  key: string;
  schema: JsonSchemaT;
}

/** The scalar leaves of an argument value (nulls hold nothing to ground), each with its key and schema. */
function leavesOf(value: unknown, key: string, schema: JsonSchemaT, out: Leaf[] = []): Leaf[] {
  const s = branchOf(schema);
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    out.push({ value, key, schema: s });
  else if (Array.isArray(value)) {
    const { tuple, each } = arrayItems(s);
    value.forEach((x, i) => leavesOf(x, key, tuple[i] ?? each ?? {}, out));
  } else if (value !== null && typeof value === 'object')
    for (const [k, x] of Object.entries(value)) leavesOf(x, k, s.properties?.[k] ?? {}, out);
  return out;
}

/** Every scalar of a JSON value (an output, an environment value) and every object key in it, as text. */
function scalarsOf(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    out.push(asText(value));
  else if (Array.isArray(value)) for (const x of value) scalarsOf(x, out);
  else if (value !== null && typeof value === 'object')
    for (const [k, x] of Object.entries(value)) {
      out.push(k.toLowerCase());
      scalarsOf(x, out);
    }
  return out;
}

/** An output holds `needle`: a scalar of it equals it, or a text of it states it (a tool's prose answer). */
function holds(scalars: readonly string[], needle: string): boolean {
  return scalars.some((x) => x === needle || (x.length > needle.length && states(x, needle)));
}

/**
 * The grounding check: every scalar of every argument (each leaf of an object or list) must come from
 * somewhere: a user query of the conversation so far (stated as a word, or inside a quoted part), an output of
 * an earlier call or of an earlier call of this turn (values passed by reference), or the environment (the
 * values of the task's `environment` for the parameter's name, or of its `environmentRows`). Text is compared
 * case-insensitively, numbers and booleans as written. An enum value the query names (its words, `in
 * progress` for `in_progress`) counts as stated; an argument whose source is `default` is exempt. An argument
 * sourced from a call must be held by that call's output (a failed call holds nothing).
 */
export function groundingCheck(
  t: QualityTurn,
  queries: readonly string[],
): { score: number; reason: string } {
  const ok = (c: { error?: string | undefined }): boolean => !c.error;
  const earlier = t.history.filter(ok).map((c) => scalarsOf(c.output));
  const env = { values: (t.environment ?? {}) as Record<string, unknown[]>, rows: [] };
  const rowScalars = (t.environmentRows ?? []).flatMap((r) => scalarsOf(Object.values(r)));
  const byId = new Map<string, Pick<ExecutedCall, 'output' | 'error'>>(
    [...t.history, ...t.calls].map((c) => [c.id, c]),
  );
  const ungrounded: string[] = [];
  let args = 0;
  t.calls.forEach((c, j) => {
    const def = t.defs.find((d) => d.name === c.name);
    const sameTurn = t.calls
      .slice(0, j)
      .filter(ok)
      .map((x) => scalarsOf(x.output));
    const envValues = (key: string): string[] => {
      const found = def ? hintsForParam(env, def, key, () => true) : (env.values[key] ?? []);
      return scalarsOf(found);
    };
    for (const [param, value] of Object.entries(c.arguments)) {
      args++;
      const src = c.sources[param];
      if (src?.kind === 'default') continue;
      const leaves = leavesOf(value, param, def?.parameters.properties[param] ?? {});
      let grounded: boolean;
      if (src?.kind === 'call') {
        const from = byId.get(src.call);
        const out = from && ok(from) ? from.output : undefined;
        const field =
          out !== null && typeof out === 'object' ? (out as Record<string, unknown>)[src.field] : undefined;
        const all = scalarsOf(out);
        grounded =
          out !== undefined &&
          (JSON.stringify(field) === JSON.stringify(value) ||
            leaves.every((l) => holds(all, asText(l.value))));
      } else
        grounded = leaves.every((l) => {
          const needle = asText(l.value);
          if (queries.some((q) => states(q, needle))) return true;
          if (
            l.schema.enum?.some((e) => e === l.value) &&
            queries.some((q) => states(q, words(String(l.value))))
          )
            return true;
          if ([...earlier, ...sameTurn].some((o) => holds(o, needle))) return true;
          const keyed = new Set([...envValues(l.key), ...(l.key !== param ? envValues(param) : [])]);
          return keyed.has(needle) || rowScalars.includes(needle);
        });
      if (!grounded) ungrounded.push(`${c.name}.${param}`);
    }
  });
  return {
    score: ratio(args - ungrounded.length, args),
    reason: ungrounded.length ? `not grounded: ${ungrounded.join(', ')}` : 'every argument is grounded',
  };
}

const FAILURE_WORDS = /\b(fail\w*|error\w*|could ?n[o']t|unable|did ?n[o']t work)\b/i;
const DECLINE_WORDS = /\b(sorry|can ?n[o']t|cannot|unable|not able|none of|no (available )?tools?)\b/i;

/**
 * The quality judge's rule checks on one turn (offline backend): intent — the query asks for each function
 * called at the user's request (nested ones are implied, not asked) and nothing else is called; grounding —
 * every argument value is found somewhere it could come from (groundingCheck);
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
  const grounding = groundingCheck(t, queries);
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
