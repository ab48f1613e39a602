import { heartbeat } from '@temporalio/activity';
import { drawStates } from '../core/environment';
import type { Ref } from '../io/artifacts';
import { statefulOf } from '../tools/states';
import { poolSources } from '../io/stored';
import { loadHistory } from '../roles/context';
import type { ExternalExecution } from '../tools/execute';
import type { TurnRef } from '../contracts';
import type { CallLimits } from '../tools/safe';

/** What the steps that run calls (execute, negatives) share; no activity here. */

/**
 * The pool's outside sources (MCP servers, OpenAPI services) and the state scope `key` with the calls of the
 * earlier turns (to rebuild it on a fresh server); undefined for a pool of files only.
 */
export async function externalFor(
  input: { storeDir: string; poolRef: Ref; previous: TurnRef[]; seed: number },
  key: string,
  limits?: CallLimits,
): Promise<ExternalExecution | undefined> {
  const sources = await poolSources(input.storeDir, input.poolRef);
  if (!sources.length) return undefined;
  return {
    sources,
    scope: {
      key,
      history: await loadHistory(input.storeDir, input.previous),
      // the state each source starts from in this conversation: the same on every attempt and worker
      environment: drawStates(sources.map(statefulOf), input.seed),
    },
    limits,
    heartbeat: () => heartbeat({ waiting: 'tool' }),
  };
}
