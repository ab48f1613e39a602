import { createRng, deriveSeed } from '../../core/rng';
import type { FunctionDef } from '../../core/pool';
import { outputFields } from '../../core/graph';
import { renderValue, userValue } from '../../core/values';
import { words } from '../../core/text';
import { rowFor } from '../../core/hints';
import { validatorFor } from '../../tools/validators';
import { TranslationError, type TurnContext } from '../context';
import { action, isIndependent, listJoin, planSources, type Source } from './common';

function mention(param: string, value: unknown): string {
  return `the ${words(param)} "${renderValue(value)}"`;
}

function userMentions(
  ctx: TurnContext,
  def: FunctionDef,
  sources: Map<string, Source>,
  skip?: string,
  seed = ctx.seed,
): string[] {
  const out: string[] = [];
  // values that belong together (a user name and its password) come from one record of the environment
  const said = [...sources].filter(([p, s]) => s.kind === 'user' && p !== skip).map(([p]) => p);
  const row = rowFor({ values: {}, rows: ctx.rows ?? [] }, said, (rows) =>
    createRng(deriveSeed(seed, 'row', def.name)).pick(rows),
  );
  for (const [param, src] of sources) {
    if (param === skip) continue;
    const schema = def.parameters.properties[param] ?? {};
    if (src.kind === 'user')
      out.push(
        mention(
          param,
          row && param in row && validatorFor(schema)(row[param])
            ? row[param]
            : userValue(seed, param, schema, ctx.hints),
        ),
      );
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

/**
 * The context of a turn written again because its calls failed: other values (a seed of the attempt), and
 * none of the values the failed calls used, where the environment offers others.
 */
function otherwise(ctx: TurnContext, feedback: NonNullable<TurnContext['feedback']>): TurnContext {
  const failed = new Map<string, Set<string>>();
  for (const f of feedback.failures)
    for (const [k, v] of Object.entries(f.arguments)) {
      const set = failed.get(k) ?? new Set<string>();
      failed.set(k, set.add(JSON.stringify(v)));
    }
  const used = (k: string, v: unknown): boolean => failed.get(k)?.has(JSON.stringify(v)) === true;
  const hints = Object.fromEntries(
    Object.entries(ctx.hints ?? {}).map(([k, vs]) => {
      const rest = vs.filter((v) => !used(k, v));
      return [k, rest.length > 0 ? rest : vs];
    }),
  );
  const rows = (ctx.rows ?? []).filter((r) => !Object.entries(r).some(([k, v]) => used(k, v)));
  return {
    ...ctx,
    seed: deriveSeed(ctx.seed, 'regenerate', feedback.attempt),
    hints,
    rows: rows.length > 0 ? rows : ctx.rows,
  };
}

/** Back-translation: the turn's functions -> a user request that implies them. */
export function offlineBackTranslate(given: TurnContext): string {
  const ctx = given.feedback ? otherwise(given, given.feedback) : given;
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
