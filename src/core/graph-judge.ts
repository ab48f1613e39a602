import type { Edge, Feed } from './graph-schema';
import { outputPaths } from './fields';
import { elementSchema, type FunctionDef, type JsonSchemaT } from './pool';
import { tokens as splitWords, words as prose } from './text';

/**
 * The judge meets the same names and descriptions in every pair it judges (a function has up to 30
 * candidates, and is a candidate of as many): what it derives from a text or a function is derived once.
 * Pure memos keyed by exactly what a result derives from: a text (bounded), or a schema object (the judge
 * role's copies of a function share their schemas; the memo goes with the schema).
 */
function memoText<T>(fn: (text: string) => T): (text: string) => T {
  const cache = new Map<string, T>();
  return (text) => {
    if (cache.has(text)) return cache.get(text) as T;
    if (cache.size >= 20_000) cache.clear();
    const r = fn(text);
    cache.set(text, r);
    return r;
  };
}
/** A memo keyed by the object a result derives from (a schema): copies of a function share it. */
function memoObject<K extends object, T>(fn: (key: K) => T): (key: K) => T {
  const cache = new WeakMap<K, T>();
  return (key) => {
    if (cache.has(key)) return cache.get(key) as T;
    const r = fn(key);
    cache.set(key, r);
    return r;
  };
}
/** The words of a text (shared: never change the array). */
const tokens = memoText((text): readonly string[] => splitWords(text));
/** The stems of a text's words. */
const stems = memoText((text) => new Set(tokens(text).map(stem)));

/**
 * The offline dependency judge (MAGNET stage 2 without an LLM): cheap, deterministic, and explainable. Every
 * edge carries the evidence that produced it in `reason`, so `magnet graph show` can say why it exists.
 *
 * The rules use only what any function doc has — names, descriptions, parameter and output schemas — and no
 * knowledge of a particular pool. Three kinds of evidence, strongest first:
 *
 * 1. **Data**: an output field of v can be passed as a parameter of u. Same name and compatible types
 *    (a string is not a number); a name that only shares its head word (`total_cost` / `cost`) counts only
 *    when the qualifier appears on the other side's docs; an `id` field feeds `<entity>_id` when v's output
 *    is that entity; an array of ids feeds one id. Only feeds the offline translator can pass as a value
 *    (see `fieldMatch`) are listed in `feeds`; the others make a data-less edge whose evidence says so.
 * 2. **State preconditions**: v establishes a state u needs though no value passes — a session or working
 *    directory opened by v (login, authenticate, connect, cd) enables the other functions in its scope; u's
 *    description states a requirement ("must", "requires", "fails if", "only after") naming the state v's
 *    verb produces (created → "must exist", block → "is blocked", press → "pressed"), or v reports the state
 *    the requirement is about (a check or status function naming the requirement's subject); v's own
 *    description says it comes before u ("use before reading", "so that they can be messaged"); v secures
 *    something (press, lock, engage) and u starts something (an interlock docs rarely state); v creates
 *    the thing a required parameter of u names (touch file_name, then cat file_name).
 * 3. **Checks**: v checks something (exists/valid/is_) about a parameter u also takes.
 *
 * The verb of a name is its first word (`pressBrakePedal` -> press); scope openers are found anywhere in
 * it (`message_login`). What it leaves out on purpose: feeds of optional non-identifier parameters only (a
 * unit or a currency echoed back is no dependency), data from a function that deletes the thing it would
 * feed (a deleted message cannot be read) except into functions that check it, and data into a login
 * (its parameters are credentials the user gives).
 */

interface Field {
  /** The field's own name (its path's last property). */
  name: string;
  /** Its path in the output (`core/fields`): what a feed names. */
  path: string;
  type?: string;
  description: string;
  /**
   * Set for a nested field: the object or array it is in (`tweets` for `tweets[].id`, `items` for the
   * elements of an array output).
   */
  within?: string;
  /** For an array field: the type of its items. */
  items?: string;
}

/** A schema's type as the judges compare it: integer and float are number, BFCL's dict is object. */
export function typeOf(s: JsonSchemaT | undefined): string | undefined {
  if (!s) return undefined;
  const t = Array.isArray(s.type) ? s.type[0] : s.type;
  if (t === 'integer' || t === 'float') return 'number';
  if (t === 'dict') return 'object';
  return t;
}

/**
 * Output fields one level deep, and one level further the fields of objects and array items
 * (`results[].id`, `owner.id`), with their types (`core/fields` names them).
 */
function fieldsOf(f: FunctionDef): Field[] {
  return f.output ? outputFieldsOf(f.output) : [];
}
const outputFieldsOf = memoObject((o: JsonSchemaT): Field[] =>
  outputPaths(o).map((p) => ({
    name: p.leaf,
    path: p.path,
    type: typeOf(p.schema),
    description: p.schema.description ?? '',
    // the elements of an array output are "items", as the rules read the enclosing name
    within: p.parent === '' ? 'items' : p.parent,
    items: typeOf(elementSchema(p.schema)),
  })),
);

export interface Param {
  name: string;
  type?: string;
  description: string;
  required: boolean;
  items?: string;
}

export function paramsOf(f: FunctionDef): Param[] {
  return parametersOf(f.parameters);
}
const parametersOf = memoObject((parameters: FunctionDef['parameters']): Param[] => {
  const req = new Set(parameters.required);
  return Object.entries(parameters.properties).map(([name, p]) => ({
    name,
    type: typeOf(p),
    description: p.description ?? '',
    required: req.has(name),
    items: typeOf(elementSchema(p)),
  }));
});

/** Types that can be passed as they are: unknown on either side, equal, or both numeric (int/float). */
function sameType(a?: string, b?: string): boolean {
  return !a || !b || a === b;
}

/** Crude English stem: enough to see "blocked", "blocks" and "block" as one word, "created" and "create". */
export const stem = memoText((word: string): string => {
  let w = word.toLowerCase();
  if (w.length > 5 && w.endsWith('ing')) w = w.slice(0, -3);
  else if (w.length > 4 && w.endsWith('ied')) w = w.slice(0, -3) + 'y';
  else if (w.length > 4 && w.endsWith('ed')) w = w.slice(0, -2);
  else if (w.length > 4 && w.endsWith('es') && !w.endsWith('ses')) w = w.slice(0, -2);
  else if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss')) w = w.slice(0, -1);
  if (w.length > 3 && w.endsWith('e')) w = w.slice(0, -1);
  // doubled final consonant of a participle: logged -> log, stopped -> stop
  if (w.length > 3 && /([bdglmnprt])\1$/.test(w)) w = w.slice(0, -1);
  return w;
});

/** Verbs that only read or compute: they establish no state another function could need. */
const READ_VERBS = new Set(
  [
    'get',
    'list',
    'find',
    'search',
    'check',
    'read',
    'show',
    'view',
    'display',
    'calculate',
    'compute',
    'estimate',
    'count',
    'convert',
    'query',
    'fetch',
    'lookup',
    'look',
    'describe',
    'is',
    'has',
    'can',
    'verify',
    'validate',
    'test',
    'print',
    'echo',
    'stat',
    'status',
  ].map(stem),
);
const OBSERVE_VERBS = new Set(
  ['check', 'is', 'has', 'verify', 'validate', 'get', 'read', 'test', 'can'].map(stem),
);
const DESTROY_VERBS = new Set(
  ['delete', 'remove', 'destroy', 'drop', 'erase', 'rm', 'purge', 'discard'].map(stem),
);

/**
 * Scopes a function can open for the others around it, each with the words of its name that open it and
 * the words other descriptions use for the state. Generic service vocabulary, no pool's names.
 */
const SCOPES: { state: string; verbs: RegExp; marks: RegExp }[] = [
  {
    state: 'an authenticated session',
    verbs: /^(log_?in|logon|sign_?in|authenticate|authorize|auth)$/,
    marks: /\b(authenticated|logged[ -]?in|signed[ -]?in|log(ged)? in|login|authori[sz]ed|session)\b/i,
  },
  {
    state: 'a current working directory',
    verbs: /^(cd|chdir|change_?dir(ectory)?|pushd)$/,
    marks: /\b(current (working )?(directory|folder)|working directory|current path)\b/i,
  },
  {
    state: 'an open connection',
    verbs: /^(connect|open_?(session|connection)|start_?session)$/,
    marks: /\b(connected|connection|open session)\b/i,
  },
];

/** The lower-case words of a function's name (`pressBrakePedal`, `press_brake_pedal` -> press brake pedal). */
function nameWords(f: FunctionDef): readonly string[] {
  return tokens(f.name);
}

/** Which scope v opens, from its name (`login`, `user_login`, `authenticate_twitter`, `cd`). */
function opens(v: FunctionDef): (typeof SCOPES)[number] | undefined {
  return opensByName(v.name);
}
const opensByName = memoText((name: string): (typeof SCOPES)[number] | undefined => {
  const words = tokens(name);
  // get_login_status, is_logged_in, check_connection report the state; they do not open it
  if (words.some((w) => READ_VERBS.has(stem(w)))) return undefined;
  const joined = words.join('_');
  for (const s of SCOPES) {
    if (words.some((w) => s.verbs.test(w))) return s;
    for (let i = 0; i + 1 < words.length; i++) if (s.verbs.test(`${words[i]}_${words[i + 1]}`)) return s;
    if (s.verbs.test(joined)) return s;
  }
  return undefined;
});

/** A function that reports on a scope's state (`get_login_status`, `is_authenticated`). */
function observes(v: FunctionDef, scope: (typeof SCOPES)[number]): boolean {
  const words = nameWords(v);
  return words.some((w) => OBSERVE_VERBS.has(stem(w))) && scope.marks.test(words.join(' '));
}

const SECURE = /^(press|lock|engage|fasten|close|shut|secure|hold|arm)$/;
const START = /^(start|launch|ignite|drive|depart|takeoff|run|begin)$/;

const LISTING = /^(entries|contents?|names|files|folders|directories|items|children|members)$/;
/** Field words too vague to be asked for by a description alone. */
const VAGUE = new Set(
  [
    'path',
    'url',
    'status',
    'mode',
    'state',
    'level',
    'count',
    'message',
    'content',
    'time',
    'date',
    'code',
    'unit',
    'amount',
    'total',
    'price',
    'cost',
  ].map(stem),
);
const GENERIC_RESULT = /^(result|value|output|answer)$/i;
const GENERIC_NUMBER = /^(a|b|x|y|n|number|num|value|operand|base|input)$/i;

const CREATE_VERBS = /^(create|make|mkdir|touch|add|new|register|insert|upload|generate)$/;

/** Parameters that name a thing (a file, a folder, a user): what a creating function makes. */
function identifies(param: string): boolean {
  return /(^|_)(name|id|path|file|folder|dir|directory|key|title)$/.test(tokens(param).join('_'));
}

/** The thing a naming parameter names, with the common words for a folder made one. */
function thingOf(param: string): string {
  const t = tokens(param)
    .filter((w) => w !== 'name' && w !== 'id')
    .map((w) => (w === 'folder' || w === 'directory' ? 'dir' : w));
  return t.join('_') || param;
}

function sameThing(a: string, b: string): boolean {
  return thingOf(a) === thingOf(b);
}

/** Sentences of a description that state a requirement of the function described. */
const CUE =
  /\b(must|requires?|required|needs?|only (if|when|after)|after|unless|fails?( if| when)?|cannot|can ?not|prior to)\b/i;
/** Sentences of a description that put the function described before another one. */
const BEFORE = /\b(before|so that|in order to|prior to)\b(.*)$/i;

function sentences(text: string): string[] {
  return text
    .split(/(?<=[.;!?])\s+|\n+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

const cueSentencesOf = memoText((text) => sentences(text).filter((s) => CUE.test(s)));
const beforeSentencesOf = memoText((text) => sentences(text).filter((s) => BEFORE.test(s)));

/** Nouns too general to tie a requirement to a function by themselves. */
const GENERIC = new Set(
  [
    'user',
    'id',
    'name',
    'data',
    'info',
    'information',
    'value',
    'item',
    'list',
    'all',
    'current',
    'detail',
    'new',
    'number',
    'result',
    'type',
    'string',
    'text',
  ].map(stem),
);

/** The state words a verb's action produces (`create` -> exist: "must exist"; `lock` -> locked). */
function producedStems(verb: string): Set<string> {
  const s = new Set([stem(verb)]);
  if (/^(create|make|mkdir|add|register|touch|new|insert|upload|install)$/.test(verb)) s.add(stem('exist'));
  if (/^(start|launch|run|boot|ignite)$/.test(verb)) s.add(stem('running')).add('run');
  if (/^(open)$/.test(verb)) s.add('open');
  if (/^(enable|activate)$/.test(verb)) s.add(stem('enabled')).add(stem('active'));
  return s;
}

function quote(s: string): string {
  return s.length > 90 ? `"${s.slice(0, 87)}..."` : `"${s}"`;
}

export interface Evidence {
  relation: Edge['relation'];
  feeds: Feed[];
  reason: string;
}

/** A field of v that can fill a parameter of u, why, and whether the offline translator passes it. */
interface FeedMatch {
  field: string;
  why: string;
  data: boolean;
}
/** Whether the offline translator can pass a field as a parameter's value (it matches names its own way). */
type Resolvable = (field: Field, p: Param) => boolean;

/** Which of v's fields can fill parameter p, and why; undefined when none can. */
function feedFor(
  v: FunctionDef,
  fields: readonly Field[],
  u: FunctionDef,
  p: Param,
  resolvable: Resolvable,
): FeedMatch | undefined {
  // the rules after the name matches are weaker guesses, each tried only when no stronger one matched
  return (
    byFieldName(v, fields, u, p, resolvable) ??
    entityId(v, fields, p) ??
    idOfNamedKind(fields, p, resolvable) ??
    askedForByName(fields, p, resolvable) ??
    oneOfListing(fields, p) ??
    computedNumber(fields, p, resolvable)
  );
}

/** The words of the docs on either side of a feed: a qualifier must appear on the other side's. */
interface FeedDocs {
  /** Stems of v's name and description. */
  v: Set<string>;
  /** Stems of u's description and of the parameter's. */
  u: Set<string>;
}

/**
 * The best feed by the field's name: the same name (rank 3), one element of an array of ids (2), a shared
 * head word (1). A nested field (`books[].book_id`, `owner.id`) matches by its own name and names its path;
 * it yields to a top-level field of the same rank. Among equals the first field wins.
 */
function byFieldName(
  v: FunctionDef,
  fields: readonly Field[],
  u: FunctionDef,
  p: Param,
  resolvable: Resolvable,
): FeedMatch | undefined {
  const docs = { v: stems(`${v.name} ${v.description}`), u: stems(`${u.description} ${p.description}`) };
  let best: (FeedMatch & { rank: number }) | undefined;
  for (const f of fields) {
    const m = nameMatch(f, p, docs, resolvable);
    // a nested field ranks half a step below: a top-level field of the same kind of match wins
    if (m && f.within) m.rank -= 0.5;
    if (m && (!best || m.rank > best.rank)) best = m;
  }
  return best;
}

function nameMatch(
  f: Field,
  p: Param,
  docs: FeedDocs,
  resolvable: Resolvable,
): (FeedMatch & { rank: number }) | undefined {
  const fw = tokens(f.name);
  const pw = tokens(p.name);
  if (fw.join('_') === pw.join('_') && sameType(f.type, p.type))
    return {
      field: f.path,
      why: `same name ${p.name}${f.type ? ` (${f.type})` : ''}`,
      data: resolvable(f, p),
      rank: 3,
    };
  if (isElementOf(f, fw, p, pw))
    return { field: f.path, why: `${p.name} is one element of ${f.path}`, data: false, rank: 2 };
  const qualifiers = headWordQualifiers(f, fw, p, pw, docs);
  if (qualifiers === undefined) return undefined;
  return {
    field: f.path,
    why: `head word ${fw[fw.length - 1]}, qualifier ${qualifiers.join(' ')} in the docs`,
    data: resolvable(f, p),
    rank: 1,
  };
}

/** An array of ids feeds one id: message_ids -> message_id. */
function isElementOf(f: Field, fw: readonly string[], p: Param, pw: readonly string[]): boolean {
  return (
    f.type === 'array' &&
    p.type !== 'array' &&
    sameType(f.items, p.type) &&
    fw.length === pw.length &&
    fw.slice(0, -1).join('_') === pw.slice(0, -1).join('_') &&
    [`${pw[pw.length - 1]}s`, `${pw[pw.length - 1]}es`].includes(fw[fw.length - 1] as string)
  );
}

/**
 * The words a field and a parameter sharing a head word (`total_cost` / `cost`) differ by, when each
 * appears in the other side's docs; undefined when they do not match that way. A shared head word alone is
 * too weak (every `*_id` shares `id`).
 */
function headWordQualifiers(
  f: Field,
  fw: readonly string[],
  p: Param,
  pw: readonly string[],
  docs: FeedDocs,
): string[] | undefined {
  if (!sameType(f.type, p.type) || fw.length === 0 || pw.length === 0) return undefined;
  const headSame = stem(fw[fw.length - 1] as string) === stem(pw[pw.length - 1] as string);
  if (!headSame || fw[fw.length - 1] === 'id') return undefined;
  const fs = new Set(fw);
  const ps = new Set(pw);
  if (!(fw.every((t) => ps.has(t)) || pw.every((t) => fs.has(t)))) return undefined;
  const extraField = fw.filter((t) => !ps.has(t));
  const extraParam = pw.filter((t) => !fs.has(t));
  const fieldText = stems(f.description);
  const supported =
    extraParam.every((t) => docs.v.has(stem(t)) || fieldText.has(stem(t))) &&
    extraField.every((t) => docs.u.has(stem(t)));
  return supported ? [...extraField, ...extraParam] : undefined;
}

/** `tweet_id`, `user_id`: a parameter naming an entity by its id. */
function namesAnId(p: Param): boolean {
  const pw = tokens(p.name);
  return pw.length >= 2 && pw[pw.length - 1] === 'id';
}

/** An entity's own id: tweet_id <- id of the tweet v returns (or of the tweets it lists). */
function entityId(v: FunctionDef, fields: readonly Field[], p: Param): FeedMatch | undefined {
  if (!namesAnId(p)) return undefined;
  const entity = tokens(p.name).slice(0, -1).map(stem);
  for (const f of fields) {
    if (f.name.toLowerCase() !== 'id' || !sameType(f.type, p.type)) continue;
    const about = new Set(
      tokens(`${f.description} ${f.within ?? ''} ${v.name}`)
        .map(stem)
        .filter((t) => t !== 'id'),
    );
    if (entity.every((t) => about.has(t)))
      return {
        field: f.path,
        why: `${p.name} is the id of the ${entity.join(' ')} ${v.name} returns`,
        data: false,
      };
  }
  return undefined;
}

/** An id of a kind the parameter's description names: user_id -> receiver_id ("the user to send to"). */
function idOfNamedKind(fields: readonly Field[], p: Param, resolvable: Resolvable): FeedMatch | undefined {
  if (!namesAnId(p)) return undefined;
  const said = stems(p.description);
  for (const f of fields) {
    const fw = tokens(f.name);
    if (f.within || fw.length < 2 || fw[fw.length - 1] !== 'id' || !sameType(f.type, p.type)) continue;
    const kind = fw.slice(0, -1).map(stem);
    if (kind.every((t) => said.has(t) && t.length > 2))
      return {
        field: f.name,
        why: `${p.name}'s description asks for a ${fw.slice(0, -1).join(' ')} id`,
        data: resolvable(f, p),
      };
  }
  return undefined;
}

/**
 * A value the parameter's description asks for by the field's whole name ("The zipcode of the first city"
 * <- zipcode); every word of the name must be there, so climate_mode never feeds "the mode of the
 * headlights".
 */
function askedForByName(fields: readonly Field[], p: Param, resolvable: Resolvable): FeedMatch | undefined {
  if (!p.required) return undefined;
  const said = stems(p.description);
  for (const f of fields) {
    const fw = tokens(f.name).map(stem);
    if (f.within || !sameType(f.type, p.type) || f.type === 'boolean') continue;
    if (fw.some((t) => GENERIC.has(t) || VAGUE.has(t)) || !fw.some((t) => t.length > 3)) continue;
    if (fw.every((t) => said.has(t)))
      return {
        field: f.name,
        why: `${p.name}'s description asks for the ${tokens(f.name).join(' ')}`,
        data: resolvable(f, p),
      };
  }
  return undefined;
}

/** One entry of a listing names the thing the next call takes (ls -> cd folder, cat file_name). */
function oneOfListing(fields: readonly Field[], p: Param): FeedMatch | undefined {
  if (!p.required || !identifies(p.name) || (p.type !== undefined && p.type !== 'string')) return undefined;
  const listing = fields.find(
    (f) =>
      !f.within &&
      f.type === 'array' &&
      (f.items === undefined || f.items === 'string') &&
      tokens(f.name).some((t) => LISTING.test(t)),
  );
  if (!listing) return undefined;
  return { field: listing.name, why: `${p.name} is one of the listed ${listing.name}`, data: false };
}

/**
 * A calculator's result feeds the next calculation: a lone numeric result into a generically named number
 * (a, x, number, value), the chaining every sequence of arithmetic calls does.
 */
function computedNumber(fields: readonly Field[], p: Param, resolvable: Resolvable): FeedMatch | undefined {
  if (!p.required || p.type !== 'number' || !GENERIC_NUMBER.test(p.name)) return undefined;
  const results = fields.filter((f) => !f.within && f.type === 'number');
  const only = results.length === 1 ? results[0] : undefined;
  if (!only || !GENERIC_RESULT.test(only.name)) return undefined;
  return {
    field: only.name,
    why: `a computed ${only.name} feeds the number ${p.name}`,
    data: resolvable(only, p),
  };
}

/**
 * All the evidence that v comes before u, or undefined when there is none. `resolvable` says whether the
 * offline translator can pass a field as a value (it matches names its own way); other data links become
 * data-less edges whose reason carries the mapping.
 */
export function judgePair(
  v: FunctionDef,
  u: FunctionDef,
  resolvable: (field: { name: string; type?: string; description: string }, p: Param) => boolean,
): Evidence | undefined {
  // the kinds of evidence strongest first (see the list above): the first that holds is the edge's reason
  return (
    dataEvidence(v, u, resolvable) ??
    scopeEvidence(v, u) ??
    requirementEvidence(v, u) ??
    announcedBefore(v, u) ??
    interlock(v, u) ??
    createdThenUsed(v, u) ??
    checkEvidence(v, u)
  );
}

/** An edge that orders v before u with no value passing. */
function precondition(reason: string): Evidence {
  return { relation: 'precondition', feeds: [], reason };
}

/** The verb of a function's name: its first word (`pressBrakePedal` -> press). */
function verbOf(f: FunctionDef): string {
  return nameWords(f)[0] ?? '';
}

/** 1. Data: v's output fills u's parameters. */
function dataEvidence(v: FunctionDef, u: FunctionDef, resolvable: Resolvable): Evidence | undefined {
  const { feeds, links, requiredFeeds } = dataLinks(v, u, resolvable);
  if (requiredFeeds > 0) {
    const fed = new Set(feeds.map((f) => f.param));
    const all = u.parameters.required.every((r) => fed.has(r));
    return { relation: all ? 'input' : 'partial_input', feeds, reason: `output ${links.join(', ')}` };
  }
  // A real data link the offline pipeline cannot plan as a value (an optional parameter, an element of an
  // array, an entity's id): the order still holds, so it is an edge, without feeds (nothing nests on it).
  if (links.length > 0)
    return precondition(
      `output ${links.join(', ')}; order only: the offline translator does not pass it as a value`,
    );
  return undefined;
}

/**
 * The links from v's output into u's parameters, each described, and the feeds among them the offline
 * translator passes as values. `requiredFeeds` counts the feeds the offline pipeline can plan: it fills
 * required parameters only, from fields its matcher sees.
 */
function dataLinks(
  v: FunctionDef,
  u: FunctionDef,
  resolvable: Resolvable,
): { feeds: Feed[]; links: string[]; requiredFeeds: number } {
  const fields = fieldsOf(v);
  const feeds: Feed[] = [];
  const links: string[] = [];
  let requiredFeeds = 0;
  if (!mayFeed(v, u)) return { feeds, links, requiredFeeds };
  for (const p of paramsOf(u)) {
    const m = feedFor(v, fields, u, p, resolvable);
    if (!m) continue;
    const id = /(^|_)(id|ids|key|code|path|symbol|name|username)$/.test(tokens(p.name).join('_'));
    if (!p.required && !id) continue;
    if (m.data) {
      feeds.push({ param: p.name, field: m.field });
      if (p.required) requiredFeeds++;
    }
    links.push(`${m.field}->${p.name} (${m.why}${p.required ? '' : ', optional'})`);
  }
  return { feeds, links, requiredFeeds };
}

/** Whether v's output may feed u at all. */
function mayFeed(v: FunctionDef, u: FunctionDef): boolean {
  const destroys = nameWords(v).some((w) => DESTROY_VERBS.has(stem(w)));
  // what a deleting function returns may still be checked (is it gone?), not used
  const uChecks =
    /^(check|is|has|verify|validate|exists?)$/.test(verbOf(u)) || /exist|valid|status/.test(u.name);
  // a login's parameters are credentials the user gives, never another function's output
  const intoLogin = opens(u)?.state === SCOPES[0]?.state;
  return (!destroys || uChecks) && !intoLogin;
}

/** 2. State: v opens the scope u runs in, or reports the scope's state u's description needs. */
function scopeEvidence(v: FunctionDef, u: FunctionDef): Evidence | undefined {
  const scope = opens(v);
  if (scope && opens(u) !== scope) {
    const mark = scope.marks.exec(u.description);
    return precondition(
      `${v.name} opens ${scope.state}${mark ? ` (${u.name}: ${quote(mark[0])})` : ''} that ${u.name} runs in`,
    );
  }
  for (const s of SCOPES) {
    if (observes(v, s) && s.marks.test(u.description) && !opens(u))
      return precondition(
        `${v.name} checks ${s.state}, which ${u.name} needs (${quote((s.marks.exec(u.description) as RegExpExecArray)[0])})`,
      );
  }
  return undefined;
}

/**
 * 2. State: a requirement u's description states, which v's action brings about or which v reports on;
 * the first requirement sentence for which either holds decides.
 */
function requirementEvidence(v: FunctionDef, u: FunctionDef): Evidence | undefined {
  const vVerb = verbOf(v);
  const vObjects = nameWords(v)
    .slice(1)
    .map(stem)
    .filter((w) => !GENERIC.has(w));
  for (const sentence of cueSentencesOf(u.description)) {
    const words = stems(sentence);
    // v's action produces the state the requirement names
    if (!READ_VERBS.has(stem(vVerb))) {
      const produced = [...producedStems(vVerb)].find((s) => words.has(s));
      // "must exist" alone names no subject: v must also make the thing the sentence is about
      const aboutV = vObjects.length === 0 || vObjects.some((o) => words.has(o));
      if (produced && (produced !== stem(vVerb) ? aboutV : true))
        return precondition(`${u.name} requires ${quote(sentence)}; ${v.name} (${vVerb}) brings it about`);
    }
    // v reports the state the requirement is about
    if (OBSERVE_VERBS.has(stem(vVerb)) || /exist|valid|status|level/.test(v.name)) {
      const subject = vObjects.find((o) => words.has(o));
      if (subject)
        return precondition(`${u.name} requires ${quote(sentence)}; ${v.name} reports the ${subject}`);
    }
  }
  return undefined;
}

/**
 * 2. State: v's own description puts it before u ("use before reading", "so that they can be messaged").
 * The hit is u's verb, or u's object when u acts on it (sends a message; reading or deleting one is not
 * what "so that they can be messaged" enables).
 */
function announcedBefore(v: FunctionDef, u: FunctionDef): Evidence | undefined {
  const uVerb = stem(verbOf(u));
  const acts = !READ_VERBS.has(uVerb) && !DESTROY_VERBS.has(uVerb);
  const uObjects = nameWords(u)
    .slice(1)
    .map(stem)
    .filter((w) => !GENERIC.has(w) && w.length > 3);
  for (const sentence of beforeSentencesOf(v.description)) {
    const m = BEFORE.exec(sentence);
    if (!m) continue;
    const after = stems(m[2] as string);
    if (after.has(uVerb) || (acts && uObjects.some((o) => after.has(o))))
      return precondition(`${v.name}: ${quote(sentence)}`);
  }
  return undefined;
}

/**
 * 2. State, interlocks: securing something (press, lock, engage, fasten) comes before starting something in
 * the same scope; docs rarely say it (a brake pressed before the engine starts), so this is the weakest rule.
 */
function interlock(v: FunctionDef, u: FunctionDef): Evidence | undefined {
  const vVerb = verbOf(v);
  if (!SECURE.test(vVerb) || !START.test(verbOf(u))) return undefined;
  return precondition(
    `${v.name} secures a state (${vVerb}) before ${u.name} starts something (interlock; no data passes)`,
  );
}

/**
 * 2. State, creating something then using it: v makes the thing named by a parameter u also requires
 * (touch file_name -> cat file_name; mkdir dir_name -> cd folder).
 */
function createdThenUsed(v: FunctionDef, u: FunctionDef): Evidence | undefined {
  const vVerb = verbOf(v);
  if (!CREATE_VERBS.test(vVerb) || CREATE_VERBS.test(verbOf(u))) return undefined;
  const made = Object.keys(v.parameters.properties).filter(identifies);
  const used = u.parameters.required.find((r) => identifies(r) && made.some((m) => sameThing(m, r)));
  if (!used) return undefined;
  return precondition(`${v.name} (${vVerb}) makes the ${prose(used)} that ${u.name} uses`);
}

/** 3. Checks: v checks something about a parameter u also takes. */
function checkEvidence(v: FunctionDef, u: FunctionDef): Evidence | undefined {
  const checks =
    /^(check|is|has|verify|validate|exists|can|ensure|test)$/.test(verbOf(v)) ||
    /_(exists|available|valid)$/.test(v.name) ||
    fieldsOf(v).some((f) => f.type === 'boolean' && /exist|avail|valid|ok/.test(f.name));
  const shared = Object.keys(v.parameters.properties).find((p) => p in u.parameters.properties);
  if (!checks || !shared) return undefined;
  return precondition(`${v.name} checks ${shared} before ${u.name} uses it`);
}

/** What `preconditionHint` needs of one function (indexes into SCOPES), computed once per function. */
export interface ScopeTraits {
  /** The scope the function opens, or -1. */
  opens: number;
  /** Scopes whose state the function reports. */
  observes: number[];
  /** Scopes whose state the function's description mentions. */
  marked: number[];
}

export function scopeTraits(f: FunctionDef): ScopeTraits {
  const scope = opens(f);
  const where = (test: (s: (typeof SCOPES)[number]) => boolean): number[] =>
    SCOPES.flatMap((s, i) => (test(s) ? [i] : []));
  return {
    opens: scope ? SCOPES.indexOf(scope) : -1,
    observes: where((s) => observes(f, s)),
    marked: where((s) => s.marks.test(f.description)),
  };
}

/** `preconditionHint` from the traits of both functions. */
export function hintOf(v: ScopeTraits, u: ScopeTraits): number {
  if (v.opens >= 0 && u.opens !== v.opens) return 1;
  if (v.observes.some((s) => u.marked.includes(s))) return 0.8;
  return 0;
}

/**
 * How likely u is worth judging as v's successor beyond cheap text affinity: state preconditions carry no
 * shared words, so candidate selection adds this to keep them among the candidates of large categories.
 */
export function preconditionHint(v: FunctionDef, u: FunctionDef): number {
  return hintOf(scopeTraits(v), scopeTraits(u));
}
