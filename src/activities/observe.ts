import { putJson, type Ref } from '../io/artifacts';
import { poolIndex, poolSources } from '../io/stored';
import type { FunctionDef } from '../core/pool';
import type { TurnInput } from '../roles/context';
import { observable, observe } from '../tools/observe';
import type { CallLimits } from '../tools/safe';
import { nonRetryableOn } from './errors';
import { externalFor } from './external';

/**
 * Looks at the environment before turn `turnIndex` is written: read-only calls on the conversation's instances
 * (tools/observe). The outputs are stored for the turn's roles (values that exist) and its record; they are
 * never exported as calls. Nothing to observe: no artifact.
 */
export async function observeActivity(
  input: Pick<TurnInput, 'storeDir' | 'poolRef' | 'seed' | 'fsp' | 'turnIndex' | 'previous'> & {
    limits?: CallLimits;
    /** The conversation's id: its state scope on MCP servers. */
    scopeKey: string;
  },
): Promise<{ observedRef?: Ref; observed: number }> {
  return nonRetryableOn(async () => {
    const turn = input.fsp.turns[input.turnIndex];
    const pool = await poolIndex(input.storeDir, input.poolRef);
    const defs = (turn?.functions ?? [])
      .map((f) => pool.get(f.name))
      .filter((d): d is FunctionDef => d !== undefined);
    const calls = observable(defs, pool, await poolSources(input.storeDir, input.poolRef));
    const external = calls.length ? await externalFor(input, input.scopeKey, input.limits) : undefined;
    if (!external) return { observed: 0 };
    const seen = await observe(calls, pool, external);
    return seen.length
      ? { observedRef: await putJson(input.storeDir, seen), observed: seen.length }
      : { observed: 0 };
  });
}
