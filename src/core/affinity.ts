import { leafName, outputPaths } from './fields';
import type { FunctionDef } from './pool';
import { hintOf, paramsOf, scopeTraits, typeOf, type ScopeTraits } from './graph-judge';
import { contentTokens, jaccard, tokens } from './text';

/**
 * The cheap affinity that ranks candidate neighbours (MAGNET stage 2 samples up to 30 per function before the
 * judge sees them). Everything it needs of a function is in its `Features`, computed once per function: the
 * ranking compares every pair of a category, and recomputing tokens for each pair cost ~60 µs a pair.
 */

export interface Field {
  name: string;
  type?: string;
  description: string;
}

/**
 * The fields of a function's output later calls can use, named by their path (`core/fields`): top-level
 * fields, the fields of an object field (`owner.id`) and of the elements of an array field
 * (`books[].book_id`), and for an array output those of its elements (`[].id`). `fieldMatch` compares a
 * path's last property (`book_id`) to a parameter's name.
 */
export function outputFields(f: FunctionDef): Field[] {
  return outputPaths(f.output).map((o) => ({
    name: o.path,
    type: typeOf(o.schema),
    description: o.schema.description ?? '',
  }));
}

export function inputParams(f: FunctionDef): (Field & { required: boolean })[] {
  return paramsOf(f).map(({ name, type, description, required }) => ({ name, type, description, required }));
}

function compatible(a?: string, b?: string): boolean {
  if (!a || !b) return true;
  if (a === b) return true;
  // numbers and ids are often passed as strings
  return (a === 'number' && b === 'string') || (a === 'string' && b === 'number');
}

/** A field or parameter name as the matcher compares it. */
export interface NameWords {
  words: string[];
  set: Set<string>;
  joined: string;
}

export function nameWords(name: string): NameWords {
  const words = tokens(name);
  return { words, set: new Set(words), joined: words.join('_') };
}

/** `fieldMatch` on names already split into words. */
function nameMatch(a: NameWords, b: NameWords): number {
  if (a.joined === b.joined) return 1;
  const subset = a.words.every((t) => b.set.has(t)) || b.words.every((t) => a.set.has(t));
  const last = a.words[a.words.length - 1];
  if (subset && last === b.words[b.words.length - 1] && last !== 'id') return 0.7;
  if (subset && a.words.length > 1 && b.words.length > 1) return 0.6;
  return 0.4 * jaccard(a.set, b.set);
}

/**
 * How strongly an output field can stand for a parameter: 1 for the same name, less for names that
 * share their head word ("total_cost" -> "cost"), 0 when types clash. A field named by a path is compared by
 * its last property (`books[].book_id` as `book_id`).
 */
export function fieldMatch(field: Field, param: Field): number {
  if (!compatible(field.type, param.type)) return 0;
  return nameMatch(nameWords(leafName(field.name)), nameWords(param.name));
}

/** What the affinity reads of one function, computed once. */
export interface Features {
  name: string;
  category: string;
  /** Output fields (what v offers as a predecessor). */
  fields: { type?: string; name: NameWords }[];
  /** Parameters, with the weight of a match into them (an optional one counts 0.8). */
  params: { type?: string; name: NameWords; weight: number }[];
  /** Content words of the name, description and output schema (v's side of the text overlap). */
  offers: Set<string>;
  /** Content words of the name, description and parameter names (u's side). */
  about: Set<string>;
  paramKeys: Set<string>;
  scope: ScopeTraits;
}

export function featuresOf(f: FunctionDef): Features {
  const keys = Object.keys(f.parameters.properties);
  return {
    name: f.name,
    category: f.category,
    fields: outputFields(f).map((o) => ({ type: o.type, name: nameWords(leafName(o.name)) })),
    params: inputParams(f).map((p) => ({
      type: p.type,
      name: nameWords(p.name),
      weight: p.required ? 1 : 0.8,
    })),
    offers: contentTokens(`${f.name} ${f.description} ${JSON.stringify(f.output ?? {})}`),
    about: contentTokens(`${f.name} ${f.description} ${keys.join(' ')}`),
    paramKeys: new Set(keys),
    scope: scopeTraits(f),
  };
}

/**
 * Cheap affinity of u as a successor of v: can v's output feed u's inputs, and do they talk about the same
 * things? Positive only when v's field names and u's parameter names share a word (or are both wordless),
 * v's offered words and u's words overlap, or both take a parameter of the same name: the candidate index
 * (`candidates.ts`) relies on exactly this.
 */
export function affinityOf(v: Features, u: Features): number {
  let best = 0;
  for (const p of u.params) {
    for (const f of v.fields) {
      best = Math.max(best, (compatible(f.type, p.type) ? nameMatch(f.name, p.name) : 0) * p.weight);
    }
  }
  let shared = 0;
  for (const k of v.paramKeys) if (u.paramKeys.has(k)) shared = 0.1;
  return best + 0.3 * jaccard(v.offers, u.about) + shared;
}

/** The ranking score: affinity, plus the hint that keeps state preconditions (which share no words) in. */
export function candidateScore(v: Features, u: Features): number {
  return affinityOf(v, u) + hintOf(v.scope, u.scope);
}
