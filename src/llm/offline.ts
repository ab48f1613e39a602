import { FailureType } from '../core/failures';
import type { ArgSource, AssistantTurn, ExecutedCall, PlannedCall } from '../core/conversation';
import { fieldMatch, outputFields } from '../core/graph';
import type { FspTurn } from '../core/ops';
import type { QualityVerdict } from '../core/quality';
import type { FunctionDef, JsonSchemaT } from '../core/pool';
import { createRng, deriveSeed } from '../core/rng';
import { tokens, words } from '../core/text';
import { validatorFor } from '../tools/validators';
import { coerceValue, renderValue, userValue } from '../core/values';

/**
 * The offline backend: deterministic, rule-based stand-ins for the LLM roles, so the pipeline, demo and
 * tests run with no network. Its data is marked `backend: "offline"`; it is not training data.
 */
export const OFFLINE_GENERATOR = 'magnet-offline/1';
export const OFFLINE_NOTE = 'rule-based offline backend: synthetic placeholder text, not for training';

export class TranslationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = FailureType.TranslationError;
  }
}

export interface TurnContext {
  seed: number;
  turnIndex: number;
  turn: FspTurn;
  /** Definitions of the turn's functions, in order. */
  defs: FunctionDef[];
  /** Definition of the function a miss_func turn asks for. */
  missingDef?: FunctionDef;
  /** Calls of earlier turns, oldest first. */
  history: ExecutedCall[];
  /** User queries of earlier turns, oldest first. */
  previousQueries: string[];
  /** Valid values by parameter name in the current tool state (see ToolSet.valueHints). */
  hints?: Record<string, unknown[]>;
}

type Source =
  | { kind: 'user' }
  | { kind: 'same_turn'; index: number; field: string }
  | { kind: 'earlier'; call: ExecutedCall; field: string };

/**
 * For each required parameter: does the user have to say it, or can it come from a call of this turn
 * (short dependency) or an earlier turn's output (long dependency)? Back- and forth-translation both use
 * this, so the query states exactly the values the calls cannot get elsewhere.
 */
function planSources(
  defs: readonly FunctionDef[],
  history: readonly ExecutedCall[],
  independent = false,
): Map<string, Source>[] {
  return defs.map((def, i) => {
    const m = new Map<string, Source>();
    for (const param of def.parameters.required) {
      // a parallel or multiple item's calls are independent: the user says every value
      if (independent) {
        m.set(param, { kind: 'user' });
        continue;
      }
      const schema = def.parameters.properties[param] ?? {};
      const p = { name: param, type: typeOfSchema(schema), description: schema.description ?? '' };
      let src: Source | undefined;
      for (let j = i - 1; j >= 0 && !src; j--) {
        const f = outputFields(defs[j] as FunctionDef).find((o) => fieldMatch(o, p) >= 0.7);
        if (f) src = { kind: 'same_turn', index: j, field: f.name };
      }
      for (let k = history.length - 1; k >= 0 && !src; k--) {
        const call = history[k] as ExecutedCall;
        if (call.error || !call.output || typeof call.output !== 'object' || Array.isArray(call.output))
          continue;
        const out = call.output as Record<string, unknown>;
        // an earlier value only counts if the parameter accepts it (a holding of 0 is no order quantity)
        const key = Object.keys(out).find(
          (name) =>
            fieldMatch({ name, type: jsType(out[name]), description: '' }, p) >= 0.7 &&
            fits(schema, out[name]),
        );
        if (key) src = { kind: 'earlier', call, field: key };
      }
      m.set(param, src ?? { kind: 'user' });
    }
    return m;
  });
}

function fits(schema: JsonSchemaT, value: unknown): boolean {
  return validatorFor(schema)(value);
}

function typeOfSchema(s: JsonSchemaT): string | undefined {
  const t = Array.isArray(s.type) ? s.type[0] : s.type;
  return t === 'integer' ? 'number' : t;
}

function jsType(v: unknown): string | undefined {
  if (Array.isArray(v)) return 'array';
  if (v === null || v === undefined) return undefined;
  return typeof v === 'object' ? 'object' : typeof v;
}

/** "Books a flight for the user." -> "book a flight for the user" */
export function action(def: FunctionDef): string {
  const first = (def.description.split(/(?<=[.!?])\s/)[0] ?? def.description)
    .replace(/\s*\([^)]*\)/g, '')
    .replace(/[.!?]\s*$/, '');
  const [verb, ...rest] = first.split(' ');
  if (!verb) return words(def.name);
  let v = verb.toLowerCase();
  if (/[^s]s$/.test(v) && !/(ss|us|is)$/.test(v))
    v = v.endsWith('ies') ? `${v.slice(0, -3)}y` : v.replace(/(ch|sh|x)es$/, '$1').replace(/s$/, '');
  return [v, ...rest].join(' ');
}

function mention(param: string, value: unknown): string {
  return `the ${words(param)} "${renderValue(value)}"`;
}

function listJoin(parts: string[]): string {
  if (parts.length <= 1) return parts.join('');
  return `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

function userMentions(
  ctx: TurnContext,
  def: FunctionDef,
  sources: Map<string, Source>,
  skip?: string,
  seed = ctx.seed,
): string[] {
  const out: string[] = [];
  for (const [param, src] of sources) {
    if (param === skip) continue;
    if (src.kind === 'user')
      out.push(mention(param, userValue(seed, param, def.parameters.properties[param] ?? {}, ctx.hints)));
    else if (src.kind === 'earlier') out.push(`the ${words(param)} from before`);
  }
  return out;
}

/** What a nested function achieves, said through its output rather than its name. */
function implied(def: FunctionDef): string {
  const field = outputFields(def)[0];
  if (field?.description)
    return `I also want ${field.description.replace(/\.$/, '').replace(/^[A-Z]/, (c) => c.toLowerCase())}`;
  return `make sure to ${action(def)} with it`;
}

const OPENERS = [
  'Please {}.',
  'Could you {}?',
  'I need you to {}.',
  'Can you {}?',
  'Next, {}.',
  'Go ahead and {}.',
];

/** Back-translation: the turn's functions -> a user request that implies them. */
export function offlineBackTranslate(ctx: TurnContext): string {
  const rng = createRng(deriveSeed(ctx.seed, 'back', ctx.turnIndex));
  const opener = rng.pick(OPENERS);
  const missing = ctx.turn.missing;
  if (missing) {
    // Empty turn: ask for a function that is not offered, or for the next turn's function without one value.
    const def = ctx.missingDef;
    if (!def)
      throw new TranslationError(
        `${missing.kind} turn ${ctx.turnIndex}: definition of ${missing.function} not given`,
      );
    const sources = planSources([def], ctx.history)[0] as Map<string, Source>;
    const args = userMentions(ctx, def, sources, missing.param);
    return opener.replace('{}', `${action(def)}${args.length ? ` using ${listJoin(args)}` : ''}`);
  }
  const sources = planSources(ctx.defs, ctx.history, isIndependent(ctx.turn));
  const explicit: string[] = [];
  const nested: string[] = [];
  const said = new Set<string>();
  ctx.defs.forEach((def, i) => {
    let args = userMentions(ctx, def, sources[i] as Map<string, Source>);
    // a parallel item calls one function with several argument sets: each call gets values of its own
    for (let a = 0; ctx.turn.labels.includes('parallel') && said.has(args.join()) && a < 8; a++)
      args = userMentions(
        ctx,
        def,
        sources[i] as Map<string, Source>,
        undefined,
        deriveSeed(ctx.seed, 'set', i, a),
      );
    said.add(args.join());
    const via = ctx.turn.functions[i]?.via ?? 'walk';
    if (via === 'walk') explicit.push(`${action(def)}${args.length ? ` using ${listJoin(args)}` : ''}`);
    else nested.push(`${implied(def)}${args.length ? ` (${listJoin(args)})` : ''}`);
  });
  const joiner = isIndependent(ctx.turn) ? '; and also ' : ', and then ';
  let query = explicit.length ? opener.replace('{}', explicit.join(joiner)) : '';
  if (nested.length) query = `${query} ${nested.map((n) => `${n}.`).join(' ')}`.trim();
  // The user answers the clarifying question by restating the request with the value they left out.
  if (ctx.turn.labels.includes('provides_missing')) query = `Sorry, I left that out. ${query}`;
  // The user makes the missing function available and restates the request with every value it needs
  // (the same values as the miss_func turn: same seed, same earlier outputs), so the turn stands on its own.
  if (ctx.turn.labels.includes('provides_function'))
    query = `I have updated the functions you can choose from: ${listJoin(ctx.turn.adds ?? [])} is now available. ${query}`;
  return query;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Finds `the <param words> "<value>"` in the query, then in earlier queries (newest first). */
function valueFromQueries(
  param: string,
  queries: readonly string[],
): { text: string; turn: number } | undefined {
  const re = new RegExp(`the ${escape(words(param))} "([^"]*)"`, 'i');
  for (let i = queries.length - 1; i >= 0; i--) {
    const m = re.exec(queries[i] as string);
    if (m) return { text: m[1] as string, turn: i };
  }
  return undefined;
}

/** A single-turn item whose calls are independent of each other (parallel or multiple). */
function isIndependent(turn: FspTurn): boolean {
  return turn.labels.includes('parallel') || turn.labels.includes('multiple');
}

/** The n-th `the <param words> "<value>"` of one query (from 0). */
function nthValue(param: string, query: string, n: number): string | undefined {
  const re = new RegExp(`the ${escape(words(param))} "([^"]*)"`, 'gi');
  return [...query.matchAll(re)][n]?.[1];
}

/** Forth-translation: query + functions + earlier outputs -> calls with every required argument filled. */
export function offlineForthTranslate(ctx: TurnContext, query: string): PlannedCall[] {
  const independent = isIndependent(ctx.turn);
  const sources = planSources(ctx.defs, ctx.history, independent);
  const queries = [...ctx.previousQueries, query];
  const calls: PlannedCall[] = [];
  // in a parallel or multiple item the k-th call needing a parameter takes the k-th value said for it
  const seen = new Map<string, number>();
  ctx.defs.forEach((def, i) => {
    const id = `call_${ctx.turnIndex + 1}_${i + 1}`;
    const args: Record<string, unknown> = {};
    const refs: PlannedCall['refs'] = {};
    const src: Record<string, ArgSource> = {};
    for (const [param, plan] of sources[i] as Map<string, Source>) {
      const schema = def.parameters.properties[param] ?? {};
      if (plan.kind === 'same_turn') {
        refs[param] = { call: (calls[plan.index] as PlannedCall).id, field: plan.field };
        src[param] = { kind: 'call', call: (calls[plan.index] as PlannedCall).id, field: plan.field };
        continue;
      }
      if (plan.kind === 'earlier') {
        args[param] = (plan.call.output as Record<string, unknown>)[plan.field];
        src[param] = { kind: 'call', call: plan.call.id, field: plan.field };
        continue;
      }
      const k = seen.get(param) ?? 0;
      seen.set(param, k + 1);
      const nth = independent ? nthValue(param, query, k) : undefined;
      const found = nth !== undefined ? { text: nth, turn: ctx.turnIndex } : valueFromQueries(param, queries);
      if (!found) {
        throw new TranslationError(
          `cannot fill required argument "${param}" of ${def.name}: not in the query, not in earlier outputs`,
        );
      }
      args[param] = coerceValue(found.text, schema);
      src[param] = { kind: 'query', turn: found.turn };
    }
    calls.push({ id, name: def.name, arguments: args, refs, sources: src });
  });
  return calls;
}

function summarize(call: ExecutedCall, defs: readonly FunctionDef[]): string {
  const def = defs.find((d) => d.name === call.name);
  const what = def ? action(def) : words(call.name);
  if (call.error) return `I tried to ${what}, but it failed: ${call.error}.`;
  const out = call.output;
  if (out && typeof out === 'object' && !Array.isArray(out)) {
    const facts = Object.entries(out)
      .filter(([, v]) => v === null || typeof v !== 'object')
      .slice(0, 4)
      .map(([k, v]) => `${words(k)}: ${String(v)}`);
    return `I did ${what}${facts.length ? ` (${facts.join('; ')})` : ''}.`;
  }
  return `I did ${what}: ${JSON.stringify(out)}.`;
}

/** The positive teacher: reasoning before each step of calls and a summary of the results. */
export function offlineDistill(ctx: TurnContext, steps: ExecutedCall[][]): AssistantTurn {
  const missing = ctx.turn.missing;
  if (missing?.kind === 'miss_func') {
    const what = ctx.missingDef ? action(ctx.missingDef) : words(missing.function);
    return {
      steps: [],
      final: `I'm sorry, but none of the tools available to me can ${what}. Is there something else I can help with?`,
    };
  }
  if (missing?.kind === 'miss_params') {
    const what = ctx.missingDef ? action(ctx.missingDef) : words(missing.function);
    return {
      steps: [],
      final: `I can ${what}, but I need the ${words(missing.param ?? 'missing value')} first. What should it be?`,
    };
  }
  const text = steps.map((step, k) => {
    const names = step.map((c) => {
      const def = ctx.defs.find((d) => d.name === c.name);
      return def ? action(def) : words(c.name);
    });
    return k === 0 ? `Let me ${listJoin(names)}.` : `Using that result, I'll now ${listJoin(names)}.`;
  });
  const final = steps
    .flat()
    .map((c) => summarize(c, ctx.defs))
    .join(' ');
  return { steps: text, final };
}

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
