import { ApplicationFailure, Context } from '@temporalio/activity';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type * as activities from '../../src/activities';
import { LLM_ROLES, RunConfig, type LlmRole, type ResolvedRole, type RunInput } from '../../src/core/config';
import type { Fsp } from '../../src/core/ops';
import { NO_USAGE } from '../../src/core/usage';
import { bundleOf } from '../helpers/temporal';
import { type ConversationInput } from '../../src/contracts';

type Acts = typeof activities;

/** An FSP of two walk turns, the shape planConversationActivity answers. */
export const FSP: Fsp = {
  walk: ['get_a', 'use_a'],
  turns: [
    { functions: [{ name: 'get_a', via: 'walk' }], labels: ['walk'] },
    { functions: [{ name: 'use_a', via: 'walk' }], labels: ['walk'] },
  ],
  trace: { mergeBoundaries: 1, merges: 0, insertsShort: 0, insertsLong: 0, split: 'none' },
};

export const USAGE = { ...NO_USAGE, requests: 1, inputTokens: 10, outputTokens: 5 };

export interface MockLog {
  /** `<activity>:<turn>` in the order they ran. */
  calls: string[];
  /**
   * Failures still to throw, by `<activity>:<turn>` or `<workflow id>:<activity>:<turn>` (each fails one
   * attempt for good).
   */
  failures: Map<string, number>;
  /** Resolves when planning may finish (lets a test talk to a conversation that is not waiting). */
  planGate?: Promise<void>;
}

/**
 * The conversation's and run's activities as plain functions with canned answers: the workflow logic (waits,
 * retries, hand-over) is what these tests look at, not the steps. A listed step fails non-retryably, as an
 * invalid LLM answer does after its repair.
 */
export function mockActivities(log: MockLog): Partial<Acts> {
  const step = (name: string, turn: number): void => {
    const key = `${name}:${turn}`;
    const wf = Context.current().info.workflowExecution?.workflowId ?? '';
    log.calls.push(`${wf}:${key}`);
    const which = [`${wf}:${key}`, key].find((k) => (log.failures.get(k) ?? 0) > 0);
    if (which) {
      log.failures.set(which, (log.failures.get(which) as number) - 1);
      throw ApplicationFailure.create({
        message: `${name}: invalid answer from m1 after one repair: not valid JSON`,
        type: 'LlmInvalidOutput',
        nonRetryable: true,
        // an invalid answer and its repair were paid for (completeJson reports them so)
        details: [{ raw: 'no JSON here', usage: { ...USAGE, requests: 2 } }],
      });
    }
  };
  const acts: Partial<Acts> = {
    planConversationActivity: async () => {
      await log.planGate;
      step('plan', 0);
      return { fsp: FSP, tools: ['get_a', 'use_a'], categories: ['demo'], usage: NO_USAGE };
    },
    backTranslateActivity: async (input) => {
      step('back', input.turnIndex);
      return { query: `query ${input.turnIndex + 1}`, usage: USAGE };
    },
    forthTranslateActivity: async (input) => {
      step('forth', input.turnIndex);
      return {
        calls: [{ id: `call_${input.turnIndex + 1}_1`, name: 'x', arguments: {}, refs: {}, sources: {} }],
        usage: USAGE,
      };
    },
    executeActivity: async (input) => {
      step('execute', input.previous.length);
      const turn = input.previous.length;
      return { callsRef: `calls-${turn}`, stateRef: `state-${turn}`, results: [], usage: NO_USAGE };
    },
    distillActivity: async (input) => {
      step('distill', input.turnIndex);
      return { steps: ['calling'], final: 'done', usage: USAGE };
    },
    // every turn passes (not logged: the tests here look at the other steps' order)
    qualityJudgeActivity: async () => {
      const pass = { score: 1, reason: 'fine' };
      return { verdict: { intent: pass, grounding: pass, faithfulness: pass }, usage: NO_USAGE };
    },
    writeConversationActivity: async (input) => {
      step('write', input.index);
      return {
        file: `conv-${input.index}.json`,
        turns: input.turns.length,
        calls: input.turns.length,
        failedCalls: 0,
      };
    },
    writeFailureActivity: async (input) => ({ file: `failed-${input.index}.json` }),
    clearFailureActivity: async () => undefined,
    loadPoolActivity: async () => ({ poolRef: 'pool', functions: 2, categories: ['demo'] }),
    selectCandidatesActivity: async () => ({ candidatesRef: 'cands', functions: 2 }),
    judgeFunctionsActivity: async (input) => {
      step('judge', input.start);
      return { edgesRef: `edges-${input.start}`, edges: 1, rejected: 0, usage: USAGE };
    },
    assembleGraphActivity: async () => ({ graphRef: 'graph', stats: GRAPH_STATS, file: 'graph.json' }),
    exportRunActivity: async (input) => ({
      runId: input.runId,
      conversations: 0,
      failed: input.failed,
      turns: 0,
      calls: 0,
      failedCalls: 0,
      labels: {},
      failures: input.failures,
      backend: 'offline',
      usage: input.usage,
      ledger: { ...NO_USAGE, byRole: {} },
      dpoPairs: 0,
      ...(input.stopped ? { stopped: input.stopped } : {}),
      files: { sft: 'sft.openai.jsonl', report: 'report.json', conversations: 'conversations' },
    }),
  };
  return acts;
}

export const GRAPH_STATS = {
  nodes: 2,
  edges: 1,
  byRelation: { precondition: 0, input: 1, partial_input: 0 },
  outDegree: { min: 0, max: 1, mean: 0.5, median: 0.5 },
  inDegree: { min: 0, max: 1, mean: 0.5, median: 0.5 },
  isolated: 0,
  withOutEdges: 1,
  categories: { demo: { nodes: 2, edges: 1 } },
};

export const OFFLINE_ROLES = Object.fromEntries(
  LLM_ROLES.map((role) => [role, { provider: 'offline', role }]),
) as Record<LlmRole, ResolvedRole>;

export function conversationInput(
  taskQueue: string,
  over: Partial<ConversationInput> = {},
): ConversationInput {
  return {
    runId: 'run',
    id: 'run/conv-00000',
    index: 0,
    seed: 1,
    storeDir: '/store',
    outDir: '/out',
    poolRef: 'pool',
    graphRef: 'graph',
    ops: RunConfig.parse({ pool: 'p', conversations: 1 }).ops,
    distractors: 0,
    execution: 'auto',
    taskQueue,
    roles: OFFLINE_ROLES,
    failedTurnWaitMs: 3 * 24 * 3600 * 1000,
    negativeSamples: 1,
    searchAttributes: false,
    ...over,
  };
}

export function runInput(
  taskQueue: string,
  runId: string,
  conversations: number,
  waitSeconds: number,
): RunInput {
  return {
    runId,
    config: RunConfig.parse({
      pool: 'p',
      conversations,
      concurrency: { conversations: 2 },
      failedTurns: { waitSeconds },
    }),
    poolPaths: ['/pool'],
    outDir: '/out',
    storeDir: '/store',
    cacheDir: '/cache',
    taskQueue,
    prompts: {},
    searchAttributes: false,
  };
}

/** A worker of magnet's workflows with the mocked activities, on the test server. */
export async function mockedWorker(
  env: TestWorkflowEnvironment,
  taskQueue: string,
  log: MockLog,
  /** Activities that answer otherwise than the mocks. */
  overrides: Partial<ReturnType<typeof mockActivities>> = {},
): Promise<Worker> {
  return Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await bundleOf(require.resolve('../../src/workflows')),
    activities: { ...mockActivities(log), ...overrides },
  });
}
