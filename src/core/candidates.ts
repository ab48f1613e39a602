import { candidateScore, featuresOf, type Features } from './affinity';
import type { GraphConfig } from './graph-schema';
import type { FunctionDef } from './pool';

/**
 * Candidate selection (MAGNET stage 2): for each function v, the K functions of its category (or of the whole
 * pool with `sameCategory: false`) with the best `candidateScore`, ties broken by name.
 *
 * Comparing v with every other function costs a category's size per function, and the whole pool's with
 * `sameCategory: false` (quadratic: 20,000 functions are 400 million pairs). The selector instead keeps an
 * inverted index per scope (a category, or the pool) and scores only the functions that can score above
 * zero: those whose parameter names share a word with v's output field names, whose words overlap v's,
 * that share a parameter name with v, or whose description names a state v reports. Every other function
 * scores exactly its precondition hint (0, or 1 when v opens a session or the like), so the best of them
 * are simply the first by name, read off the scope's sorted list. The result is exactly the all-pairs
 * ranking (`selectCandidates`; a property test compares them), at a cost of the functions that share a word
 * with v: close to the category's size in a small, homogeneous category, and far below the pool's size
 * across categories, except for words most functions share (`id`, `name`), which no exact method can skip.
 * When K functions linked by data already score above anything text overlap alone can reach, the
 * functions that only share words are not read at all.
 */

type Scored = { id: number; name: string; score: number };

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const byScoreThenName = (a: Scored, b: Scored): number => b.score - a.score || byName(a.name, b.name);

/** Up to K candidates for v, comparing it with every function of its scope: the reference. */
export function selectCandidates(
  v: FunctionDef,
  pool: readonly FunctionDef[],
  config: GraphConfig,
): string[] {
  const fv = featuresOf(v);
  return pool
    .filter((u) => u.name !== v.name && (!config.sameCategory || u.category === v.category))
    .map((u, id) => ({ id, name: u.name, score: candidateScore(fv, featuresOf(u)) }))
    .sort(byScoreThenName)
    .slice(0, config.maxCandidates)
    .map((c) => c.name);
}

/** The functions of one scope, indexed by the words that can make a score positive. */
interface Scope {
  /** Ids in name order. */
  members: number[];
  /** Words of parameter names ('' for a name without words) -> ids. */
  paramWords: Map<string, number[]>;
  /** Words of name, description and parameter names -> ids. */
  aboutWords: Map<string, number[]>;
  paramKeys: Map<string, number[]>;
  /** Per scope trait (session, directory...): ids whose description mentions its state. */
  marked: Map<number, number[]>;
  /** Per scope trait: ids that open it. */
  openers: Map<number, number[]>;
}

function add<K>(m: Map<K, number[]>, key: K, id: number): void {
  const list = m.get(key);
  if (list) {
    if (list[list.length - 1] !== id) list.push(id);
  } else m.set(key, [id]);
}

export interface CandidateSelector {
  /** The candidates of `functions[i]`, exactly as `selectCandidates` ranks them. */
  select(i: number): string[];
}

/** Features computed once per function; each scope's index built the first time one of its functions asks. */
export function candidateSelector(functions: readonly FunctionDef[], config: GraphConfig): CandidateSelector {
  const features: Features[] = functions.map(featuresOf);
  const names = features.map((f) => f.name);
  const scopes = new Map<string, Scope>();
  const scopeKey = (f: Features): string => (config.sameCategory ? `c:${f.category}` : '*');
  const scopeOf = (f: Features): Scope => {
    const key = scopeKey(f);
    let s = scopes.get(key);
    if (s) return s;
    const members = features
      .map((_, id) => id)
      .filter((id) => scopeKey(features[id] as Features) === key)
      .sort((a, b) => byName(names[a] as string, names[b] as string));
    s = {
      members,
      paramWords: new Map(),
      aboutWords: new Map(),
      paramKeys: new Map(),
      marked: new Map(),
      openers: new Map(),
    };
    for (const id of members) {
      const u = features[id] as Features;
      for (const p of u.params) {
        if (p.name.words.length === 0) add(s.paramWords, '', id);
        for (const w of p.name.words) add(s.paramWords, w, id);
      }
      for (const w of u.about) add(s.aboutWords, w, id);
      for (const k of u.paramKeys) add(s.paramKeys, k, id);
      for (const t of u.scope.marked) add(s.marked, t, id);
      if (u.scope.opens >= 0) add(s.openers, u.scope.opens, id);
    }
    scopes.set(key, s);
    return s;
  };
  // which functions the current selection has scored: stamp[id] === round
  const stamp = new Int32Array(functions.length);
  let round = 0;
  const k = config.maxCandidates;

  return {
    select(i: number): string[] {
      const v = features[i] as Features;
      const scope = scopeOf(v);
      round++;
      const scored: Scored[] = [];
      const visit = (ids: readonly number[] | undefined): void => {
        for (const id of ids ?? []) {
          if (stamp[id] === round) continue;
          stamp[id] = round;
          if (names[id] !== v.name)
            scored.push({
              id,
              name: names[id] as string,
              score: candidateScore(v, features[id] as Features),
            });
        }
      };
      // functions v's output can feed, that share a parameter with v, or whose state v reports
      for (const f of v.fields) {
        if (f.name.words.length === 0) visit(scope.paramWords.get(''));
        for (const w of f.name.words) visit(scope.paramWords.get(w));
      }
      for (const key of v.paramKeys) visit(scope.paramKeys.get(key));
      for (const t of v.scope.observes) visit(scope.marked.get(t));
      scored.sort(byScoreThenName);
      // a function found by shared words alone scores at most 0.3 (+1 when v opens a scope), and so does
      // any function found by nothing: when K scores lie above that, neither can get in
      const bound = 0.3 + (v.scope.opens >= 0 ? 1 : 0);
      const kth = scored[k - 1];
      if (kth && kth.score > bound) return scored.slice(0, k).map((c) => c.name);
      for (const w of v.offers) visit(scope.aboutWords.get(w));
      // the rest score their hint alone: per hint value, the first K by name are the only ones that can win
      const rest = (ids: readonly number[], keep: (u: Features) => boolean): void => {
        let taken = 0;
        for (const id of ids) {
          if (taken >= k) break;
          const u = features[id] as Features;
          if (stamp[id] === round || u.name === v.name || !keep(u)) continue;
          scored.push({ id, name: u.name, score: candidateScore(v, u) });
          taken++;
        }
      };
      if (v.scope.opens < 0) rest(scope.members, () => true);
      else {
        rest(scope.members, (u) => u.scope.opens !== v.scope.opens);
        rest(scope.openers.get(v.scope.opens) ?? [], () => true);
      }
      return scored
        .sort(byScoreThenName)
        .slice(0, k)
        .map((c) => c.name);
    },
  };
}
