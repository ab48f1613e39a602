import type { AssistantTurn, ExecutedCall } from '../../core/conversation';
import type { FunctionDef } from '../../core/pool';
import { words } from '../../core/text';
import type { TurnContext } from '../context';
import { action, listJoin } from './common';

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
