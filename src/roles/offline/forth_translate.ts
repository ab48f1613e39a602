import type { ArgSource, PlannedCall } from '../../core/conversation';
import { valueAtField } from '../../core/fields';
import { words } from '../../core/text';
import { coerceValue } from '../../core/values';
import { TranslationError, type TurnContext } from '../context';
import { isIndependent, planSources, type Source } from './common';

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
        args[param] = valueAtField(plan.call.output, plan.field);
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
