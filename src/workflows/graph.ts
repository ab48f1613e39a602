import { patched } from '@temporalio/workflow';
import { addUsage, NO_USAGE, type Usage } from '../core/usage';
import type { ResolvedRole } from '../core/config';
import { OFFLINE_JUDGE, type GraphConfig, type GraphStats } from '../core/graph';
import { llm, local } from './proxies';

export interface BuildGraphInput {
  storeDir: string;
  poolRef: string;
  config: GraphConfig;
  outDir: string;
  /** Functions judged per activity; each function is still one judge request. */
  chunk?: number;
  parallel?: number;
  judge: ResolvedRole;
  taskQueue: string;
}

/** The patch that gave each LLM judge request its own activity. */
export const GRAPH_ONE_REQUEST_PER_STEP = 'graph-one-request-per-step';

/** MAGNET stage 2: candidates by cheap affinity, then batched judging, then one graph artifact. */
export async function buildGraph(
  input: BuildGraphInput,
): Promise<{ graphRef: string; stats: GraphStats; file: string; usage: Usage; judgeRequests: number }> {
  const { candidatesRef, functions } = await local.selectCandidatesActivity(input);
  // An LLM judge gets one activity per function (one request, plus its repair): a transient error then
  // retries that request alone instead of a batch of 25, whose every attempt a flaky provider would fail.
  const perRequest = input.judge.provider === 'llm' && patched(GRAPH_ONE_REQUEST_PER_STEP);
  const chunk = perRequest ? 1 : (input.chunk ?? 25);
  const parallel = input.parallel ?? (perRequest ? 8 : 4);
  const ranges: [number, number][] = [];
  for (let s = 0; s < functions; s += chunk) ranges.push([s, Math.min(functions, s + chunk)]);
  const edgeRefs: string[] = new Array<string>(ranges.length);
  const judge = llm(input.taskQueue, input.judge);
  let usage: Usage = NO_USAGE;
  let judgeRequests = 0;
  for (let i = 0; i < ranges.length; i += parallel) {
    const batch = ranges.slice(i, i + parallel);
    const results = await Promise.all(
      batch.map(([start, end]) =>
        judge.judgeFunctionsActivity({
          storeDir: input.storeDir,
          poolRef: input.poolRef,
          candidatesRef,
          start,
          end,
          judge: input.judge,
        }),
      ),
    );
    results.forEach((r, k) => {
      edgeRefs[i + k] = r.edgesRef;
      judgeRequests += r.usage.requests;
      usage = addUsage(usage, r.usage);
    });
  }
  const assembled = await local.assembleGraphActivity({
    storeDir: input.storeDir,
    poolRef: input.poolRef,
    candidatesRef,
    edgeRefs,
    config: input.config,
    outDir: input.outDir,
    judge:
      input.judge.provider === 'offline'
        ? OFFLINE_JUDGE
        : `llm:${input.judge.providerName}/${input.judge.model}`,
  });
  return { ...assembled, usage, judgeRequests };
}
