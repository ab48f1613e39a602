import type { ExecutedCall } from '../../core/conversation';
import { outputValues } from '../../core/fields';
import { fieldMatch, outputFields } from '../../core/graph';
import type { FspTurn } from '../../core/ops';
import type { FunctionDef, JsonSchemaT } from '../../core/pool';
import { words } from '../../core/text';
import { validatorFor } from '../../tools/validators';

/**
 * The offline backend: deterministic, rule-based stand-ins for the LLM roles, so the pipeline, demo and
 * tests run with no network. Its data is marked `backend: "offline"`; it is not training data. The rules of
 * each role are in the file of its name here; this one holds what several of them use.
 */
export const OFFLINE_GENERATOR = 'magnet-offline/1';
export const OFFLINE_NOTE = 'rule-based offline backend: synthetic placeholder text, not for training';

/**
 * Where a required argument comes from. `field` is a path into the source's output (`core/fields`): for a
 * call of the same turn, whose output does not exist yet, one of its declared output fields
 * (`books[].book_id`: the first book that has one, resolved when the turn runs); for an earlier call, the
 * concrete place in its actual output (`books[0].book_id`).
 */
export type Source =
  | { kind: 'user' }
  | { kind: 'same_turn'; index: number; field: string }
  | { kind: 'earlier'; call: ExecutedCall; field: string };

/**
 * For each required parameter: does the user have to say it, or can it come from a call of this turn
 * (short dependency) or an earlier turn's output (long dependency)? Back- and forth-translation both use
 * this, so the query states exactly the values the calls cannot get elsewhere.
 */
export function planSources(
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
        if (call.error || !call.output || typeof call.output !== 'object') continue;
        // The output's fields, top-level first, then those of its objects and of each element of its arrays
        // (`items[0].id`, `items[1].id`): an earlier value only counts if the parameter accepts it (a holding
        // of 0 is no order quantity), so the first element whose value fits is taken. Its path is recorded
        // with the element's index, not as `items[].id`: the output is known here, so the source names
        // exactly where the value is, and whoever checks it (the quality judge, a reader of the record)
        // finds that value without knowing the parameter's schema that chose the element.
        const found = outputValues(call.output).find(
          (o) =>
            fieldMatch({ name: o.leaf, type: jsType(o.value), description: '' }, p) >= 0.7 &&
            fits(schema, o.value),
        );
        if (found) src = { kind: 'earlier', call, field: found.path };
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

export function listJoin(parts: string[]): string {
  if (parts.length <= 1) return parts.join('');
  return `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

export /** A single-turn item whose calls are independent of each other (parallel or multiple). */
function isIndependent(turn: FspTurn): boolean {
  return turn.labels.includes('parallel') || turn.labels.includes('multiple');
}
