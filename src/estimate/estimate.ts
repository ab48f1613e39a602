import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import {
  LLM_ROLES,
  resolveRole,
  type LlmRole,
  type ProviderConfig,
  type ResolvedRole,
  type RunInput,
} from '../core/config';
import { costOf, DEFAULT_CACHED_INPUT_SHARE } from '../core/cost';
import { buildGraphOffline, Graph } from '../core/graph';
import { kindAt, mixOrder } from '../core/mix';
import type { Fsp } from '../core/ops';
import { indexPool, type FunctionDef, type Pool } from '../core/pool';
import { putJson } from '../io/artifacts';
import { readJson, writeAtomic } from '../io/files';
import { runLayout } from '../io/run-layout';
import { loadPool } from '../tools/pool-loader';
import type { RoleInput } from '../roles';
import {
  conversationRequests,
  conversationSeed,
  DEFAULT_STUDENT_ERROR_RATE,
  graphRequests,
  nestedJudgeAnswer,
  nestedJudgeTasks,
  planOf,
  Recorder,
  sampleIndices,
  type EstRequest,
  type PlanEnv,
} from './rules';
import { cachedByRule, PrefixCache, PROMPT_CACHE_RULES } from './prefix-cache';
import { countPrompt, countText, loadTokenizers, tokenizerFor, type Tokenizer } from './tokens';

/** Conversations simulated request by request (their prompts built and counted); the rest are scaled. */
export const DEFAULT_SAMPLE = 20;
/**
 * Conversations planned (cheap: no prompts) to count turns and the nested judge's distinct functions; a
 * bigger run is extrapolated from them (the nested judge's functions are then all but saturated).
 */
export const PLAN_LIMIT = 5000;

export const RoleEstimate = z.object({
  role: z.string(),
  provider: z.string(),
  model: z.string(),
  batch: z.boolean(),
  tokenizer: z.string(),
  requests: z.number(),
  inputTokens: z.number(),
  /**
   * Of the input tokens, those the provider's prompt cache is expected to serve: the share the sample's own
   * requests show, played by the provider's caching rule (estimate/prefix-cache.ts). Absent in estimates
   * of earlier releases: 0.
   */
  cachedInputTokens: z.number().default(0),
  outputTokens: z.number(),
  /** With the cached input tokens at the cached input price. */
  costUsd: z.number(),
  /** What the same requests would cost with no prompt cache (absent in estimates of earlier releases). */
  uncachedCostUsd: z.number().optional(),
  /** Whether the price table has the model (no price: cost 0, flagged). */
  priced: z.boolean(),
});
export type RoleEstimate = z.infer<typeof RoleEstimate>;

export const ProviderEstimate = z.object({
  provider: z.string(),
  requestsPerSecond: z.number().optional(),
  tokensPerMinute: z.number().optional(),
  /** Requests and tokens paced by the provider's limits (batch requests are the provider's own work). */
  requests: z.number(),
  tokens: z.number(),
  /** Seconds at the configured limits for the graph phase and the conversations; absent when unlimited. */
  graphSeconds: z.number().optional(),
  conversationSeconds: z.number().optional(),
});
export type ProviderEstimate = z.infer<typeof ProviderEstimate>;

/** What `magnet estimate` prints and a run stores as `estimate.json`. */
export const Estimate = z.object({
  version: z.literal(1),
  createdAt: z.string(),
  conversations: z.number(),
  /** Conversations simulated request by request, and planned. */
  sampled: z.number(),
  planned: z.number(),
  turnsPerConversation: z.number(),
  graph: z.enum(['built', 'given']),
  /**
   * The planned shape of the run (over the planned conversations, as shares): turns and function calls
   * per conversation, and turn labels; the report sets the records' realised shape beside it.
   */
  plan: z
    .object({
      turns: z.record(z.string(), z.number()),
      calls: z.record(z.string(), z.number()),
      labels: z.record(z.string(), z.number()),
    })
    .optional(),
  studentErrorRate: z.number().optional(),
  roles: z.array(RoleEstimate),
  providers: z.array(ProviderEstimate),
  total: z.object({
    requests: z.number(),
    inputTokens: z.number(),
    cachedInputTokens: z.number().default(0),
    outputTokens: z.number(),
    costUsd: z.number(),
    uncachedCostUsd: z.number().optional(),
  }),
  /**
   * Expected wall time at the configured rate limits: the graph phase, then the conversations (providers in
   * parallel, each at its slower limit). Absent when a provider in use has no configured rate.
   */
  durationSeconds: z.number().optional(),
  /** Roles in batch mode: their answers come within the batch window (up to 24 h) instead. */
  batchRoles: z.array(z.string()),
  notes: z.array(z.string()),
});
export type Estimate = z.infer<typeof Estimate>;

export interface EstimateOptions {
  /** Conversations simulated request by request (default DEFAULT_SAMPLE). */
  sample?: number;
  /** How often a student sample is wrong (mDPO), default DEFAULT_STUDENT_ERROR_RATE. */
  studentErrorRate?: number;
}

const round = (n: number): number => Math.round(n);

type Roles = Record<LlmRole, ResolvedRole>;
type PlanShape = NonNullable<Estimate['plan']>;
type RoleSums = Map<
  LlmRole,
  { requests: number; inputTokens: number; cachedInputTokens: number; outputTokens: number }
>;
type GraphSums = Map<string, { requests: number; tokens: number }>;

/**
 * The estimate of a prepared run (`prepareRun`): builds the graph (offline judge, unless the config gives
 * one), plans the conversations, simulates a sample of them request by request with the offline backend
 * standing in for the models, counts each request's tokens with its model's tokenizer and scales to the
 * run. Calls no model and writes nothing but a scratch store, removed at the end.
 */
export async function estimateRun(input: RunInput, opts: EstimateOptions = {}): Promise<Estimate> {
  const config = input.config;
  const roles = resolveRoles(input);
  const functions = await estimatePool(input);
  const graph = input.graphPath
    ? Graph.parse(await readJson(input.graphPath))
    : buildGraphOffline(functions.pool.functions, config.graphBuild);

  // graph phase: exact (one request per function with candidates)
  const graphRec = new Recorder(roles);
  if (!input.graphPath) graphRequests(functions.pool.functions, config.graphBuild, graphRec);

  const env: PlanEnv = {
    graph,
    pool: functions.index,
    seed: config.seed,
    ops: config.ops,
    distractors: config.distractors,
  };
  const run: EstimatedRun = {
    config,
    roles,
    functions,
    env,
    kinds: mixOrder(config.mix, config.conversations, config.seed),
  };
  const plan = planItems(run);
  const studentErrorRate = opts.studentErrorRate ?? DEFAULT_STUDENT_ERROR_RATE;
  const sample = await simulateSample(run, opts.sample ?? DEFAULT_SAMPLE, studentErrorRate);
  // per-turn requests scale with the run's turns (known from the plans), not merely its conversations
  const runTurns = plan.turnsPerConversation * config.conversations;
  const turnScale = sample.turns > 0 ? runTurns / sample.turns : 0;

  const tokens = new TokenSums(roles, await roleTokenizers(roles));
  tokens.add(graphRec.requests, 1, 'graph');
  // the nested judge's distinct functions were counted over the planned conversations: a run bigger than
  // PLAN_LIMIT meets few new ones, so no scaling
  tokens.add(plan.nested.requests, 1, 'conversations');
  tokens.add(sample.requests.requests, turnScale, 'conversations');
  return estimateOf(input, { plan, sample, tokens, studentErrorRate });
}

/** The run the estimate plays: its config, roles, functions, plan inputs and the mix's kind of each item. */
interface EstimatedRun {
  config: RunInput['config'];
  roles: Roles;
  functions: EstimatePool;
  env: PlanEnv;
  /** Each item's kind, as the run lays the mix out (single-turn items have one turn and no nested judge). */
  kinds: Uint8Array;
}

/** Every role resolved as the run resolves it (provider, model, price, batch, prompt override). */
function resolveRoles(input: RunInput): Roles {
  const roles = {} as Roles;
  for (const role of LLM_ROLES)
    roles[role] = resolveRole(
      input.config.llm,
      role,
      { cacheDir: input.cacheDir, ledgerFile: runLayout(input.outDir).llmCalls },
      input.prompts,
    );
  return roles;
}

/** The pool as the estimate plays it, indexed, and the functions the run would call outside. */
interface EstimatePool {
  pool: Pool;
  index: Map<string, FunctionDef>;
  /** Functions an MCP server or an OpenAPI service executes in the run: no simulate request for them. */
  outside: Set<string>;
}

async function estimatePool(input: RunInput): Promise<EstimatePool> {
  // functions of MCP servers and OpenAPI services are listed from their sources (no call is made): the
  // estimate plays them from their schemas, as it calls nothing outside
  const loaded = await loadPool(input.poolPaths, input.poolSources ?? []);
  // (in execution mode `simulated` the simulate role plays them, as every function)
  const outside = new Set(
    input.config.execution.mode === 'simulated'
      ? []
      : loaded.functions.filter((f) => f.impl?.kind === 'mcp' || f.impl?.kind === 'http').map((f) => f.name),
  );
  const pool = {
    functions: loaded.functions.map((f) =>
      outside.has(f.name) ? { ...f, impl: { kind: 'simulated' as const } } : f,
    ),
  };
  return { pool, index: indexPool(pool), outside };
}

/** What the plans of the run's items say (planning is cheap: no prompts, so up to PLAN_LIMIT items). */
interface PlannedItems {
  indices: number[];
  turnsPerConversation: number;
  shape: PlanShape;
  /** One nested-judge request per distinct function, over all planned multi-turn conversations. */
  nested: Recorder;
}

/** Plans: turns of every conversation (up to PLAN_LIMIT), and the nested judge's distinct functions. */
function planItems(run: EstimatedRun): PlannedItems {
  const { config, env, kinds } = run;
  const planned = Math.min(config.conversations, PLAN_LIMIT);
  const indices = sampleIndices(config.conversations, planned);
  let plannedTurns = 0;
  const nestedRec = new Recorder(run.roles);
  const nested = new Map<string, RoleInput<'nested_judge'>>();
  const shape: PlanShape = { turns: {}, calls: {}, labels: {} };
  for (const i of indices) {
    const fsp = planOf(env, i, kindAt(kinds, i)).fsp;
    plannedTurns += fsp.turns.length;
    addToShape(shape, fsp, 1 / indices.length);
    if (nestedRec.isLlm('nested_judge') && kindAt(kinds, i) === 'multi_turn')
      for (const [f, t] of nestedJudgeTasks(env, i)) nested.set(f, t);
  }
  for (const t of nested.values()) nestedRec.ask('nested_judge', t, nestedJudgeAnswer(t));
  // labels as shares of turns, like the turns and calls as shares of conversations
  for (const l of Object.keys(shape.labels))
    shape.labels[l] = (shape.labels[l] ?? 0) / Math.max(1, plannedTurns);
  return { indices, turnsPerConversation: plannedTurns / indices.length, shape, nested: nestedRec };
}

const bump = (m: Record<string, number>, k: string | number, by: number): void => {
  m[k] = (m[k] ?? 0) + by;
};

/** One planned item's turns and calls (each item weighing `share`), and its labels counted. */
function addToShape(shape: PlanShape, fsp: Fsp, share: number): void {
  bump(shape.turns, fsp.turns.length, share);
  bump(
    shape.calls,
    fsp.turns.reduce((n, t) => n + t.functions.length, 0),
    share,
  );
  for (const t of fsp.turns) for (const l of t.labels) bump(shape.labels, l, 1);
}

/** The per-turn requests of a sample of the items, and their turns. */
interface Sample {
  indices: number[];
  requests: Recorder;
  turns: number;
}

/** Turns: a sample simulated request by request in a scratch store (removed after, whatever happens). */
async function simulateSample(run: EstimatedRun, size: number, studentErrorRate: number): Promise<Sample> {
  const { config, functions, env, kinds } = run;
  const indices = sampleIndices(config.conversations, size);
  const storeDir = await fs.mkdtemp(path.join(os.tmpdir(), 'magnet-estimate-'));
  const requests = new Recorder(run.roles);
  let turns = 0;
  try {
    const poolRef = await putJson(storeDir, functions.pool);
    const convEnv = {
      storeDir,
      poolRef,
      pool: functions.index,
      execution: config.execution.mode,
      negativeSamples: config.negatives.samples,
      studentErrorRate,
      outside: functions.outside,
    };
    for (const i of indices) {
      const r = await conversationRequests(
        convEnv,
        conversationSeed(config.seed, i),
        planOf(env, i, kindAt(kinds, i)),
        requests,
      );
      turns += r.turns;
    }
  } finally {
    await fs.rm(storeDir, { recursive: true, force: true });
  }
  return { indices, requests, turns };
}

/** Each LLM role's tokenizer (its model's encoding), loaded. */
async function roleTokenizers(roles: Roles): Promise<Map<LlmRole, Tokenizer>> {
  const tokenizers = new Map<LlmRole, Tokenizer>();
  for (const role of LLM_ROLES) {
    const r = roles[role];
    if (r.provider === 'llm') tokenizers.set(role, tokenizerFor(r.model, r.kind));
  }
  await loadTokenizers(tokenizers.values());
  return tokenizers;
}

/**
 * Requests and tokens summed per role, and per provider for the graph phase: the graph is built before any
 * conversation starts, so its time at the provider's limits is a phase of its own.
 */
class TokenSums {
  readonly byRole: RoleSums = new Map();
  readonly graph: GraphSums = new Map();
  /** Each model's prompt cache (per provider), over every request counted, in the order the run sends them. */
  private readonly caches = new Map<string, PrefixCache>();
  constructor(
    readonly roles: Roles,
    readonly tokenizers: ReadonlyMap<LlmRole, Tokenizer>,
  ) {}

  add(reqs: EstRequest[], scale: number, phase: 'graph' | 'conversations'): void {
    // identical requests are paid once (the response cache answers the others)
    const seen = new Set<string>();
    for (const q of reqs) {
      const key = `${q.role}\n${q.messages.join('\n')}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const tk = this.tokenizers.get(q.role) as Tokenizer;
      const s = this.byRole.get(q.role) ?? {
        requests: 0,
        inputTokens: 0,
        cachedInputTokens: 0,
        outputTokens: 0,
      };
      const w = q.weight * scale;
      const inTok = countPrompt(q.messages, tk);
      const outTok = countText(q.answer, tk);
      s.requests += w;
      s.inputTokens += w * inTok;
      s.cachedInputTokens += w * Math.min(inTok, this.cachedTokens(q, tk));
      s.outputTokens += w * outTok;
      this.byRole.set(q.role, s);
      if (phase === 'graph') this.addGraph(q.role, w, inTok + outTok);
    }
  }

  /** The request's input tokens the provider would serve from its prompt cache, by the provider's rule. */
  private cachedTokens(q: EstRequest, tk: Tokenizer): number {
    const r = this.roles[q.role] as Extract<ResolvedRole, { provider: 'llm' }>;
    const id = `${r.providerName}\n${r.model}`;
    let cache = this.caches.get(id);
    if (!cache) this.caches.set(id, (cache = new PrefixCache()));
    const shared = cache.shared(q.messages);
    if (shared.length === 0) return 0;
    return cachedByRule(PROMPT_CACHE_RULES[r.kind], countPrompt(shared, tk));
  }

  private addGraph(role: LlmRole, w: number, tokens: number): void {
    const r = this.roles[role] as Extract<ResolvedRole, { provider: 'llm' }>;
    const g = this.graph.get(r.providerName) ?? { requests: 0, tokens: 0 };
    g.requests += w;
    g.tokens += w * tokens;
    this.graph.set(r.providerName, g);
  }
}

/** The estimate's figures, assembled from the counted phases. */
function estimateOf(
  input: RunInput,
  counted: { plan: PlannedItems; sample: Sample; tokens: TokenSums; studentErrorRate: number },
): Estimate {
  const { plan, sample, tokens, studentErrorRate } = counted;
  const roles = tokens.roles;
  const rows = roleRows(roles, tokens);
  const providers = providerRows(input.config.llm.providers, rows, tokens.graph);
  return Estimate.parse({
    version: 1,
    createdAt: new Date().toISOString(),
    conversations: input.config.conversations,
    sampled: sample.indices.length,
    planned: plan.indices.length,
    turnsPerConversation: plan.turnsPerConversation,
    graph: input.graphPath ? 'given' : 'built',
    plan: plan.shape,
    studentErrorRate: roles.student.provider === 'llm' ? studentErrorRate : undefined,
    roles: rows,
    providers,
    total: totalOf(rows),
    durationSeconds: durationOf(providers),
    batchRoles: rows.filter((r) => r.batch).map((r) => r.role),
    notes: estimateNotes(input, roles, rows, studentErrorRate),
  });
}

/** A row per LLM role the run asks anything of, its tokens rounded and priced. */
function roleRows(roles: Roles, tokens: TokenSums): RoleEstimate[] {
  const rows: RoleEstimate[] = [];
  for (const role of LLM_ROLES) {
    const r = roles[role];
    const s = tokens.byRole.get(role);
    if (r.provider !== 'llm' || !s) continue;
    const batch = r.batch !== undefined;
    const inputTokens = round(s.inputTokens);
    const cachedInputTokens = round(s.cachedInputTokens);
    const outputTokens = round(s.outputTokens);
    const opts = { kind: r.kind, batch };
    rows.push({
      role,
      provider: r.providerName,
      model: r.model,
      batch,
      tokenizer: tokens.tokenizers.get(role) as string,
      requests: round(s.requests),
      inputTokens,
      cachedInputTokens,
      outputTokens,
      costUsd: costOf(r.price, { inputTokens, outputTokens, cachedInputTokens }, opts).costUsd,
      uncachedCostUsd: costOf(r.price, { inputTokens, outputTokens }, opts).costUsd,
      priced: r.price !== undefined,
    });
  }
  return rows;
}

/** Per provider in use: what its limits pace, and how long the graph phase and the conversations take. */
function providerRows(
  configured: Record<string, ProviderConfig>,
  rows: RoleEstimate[],
  graph: GraphSums,
): ProviderEstimate[] {
  const providers: ProviderEstimate[] = [];
  for (const name of new Set(rows.map((r) => r.provider))) {
    const p = configured[name];
    const paced = rows.filter((r) => r.provider === name && !r.batch);
    const requests = paced.reduce((n, r) => n + r.requests, 0);
    const tokens = paced.reduce((n, r) => n + r.inputTokens + r.outputTokens, 0);
    const g = graph.get(name) ?? { requests: 0, tokens: 0 };
    // batch requests are not paced: only the graph's own share of paced roles counts for the graph phase
    const graphPaced = paced.some((r) => r.role === 'dependency_judge') ? g : { requests: 0, tokens: 0 };
    providers.push({
      provider: name,
      requestsPerSecond: p?.requestsPerSecond,
      tokensPerMinute: p?.tokensPerMinute,
      requests,
      tokens,
      graphSeconds: pacedSeconds(p, graphPaced.requests, graphPaced.tokens),
      conversationSeconds: pacedSeconds(p, requests - graphPaced.requests, tokens - graphPaced.tokens),
    });
  }
  return providers;
}

/** Seconds for `req` requests of `tok` tokens at the provider's slower limit; undefined when it has none. */
function pacedSeconds(p: ProviderConfig | undefined, req: number, tok: number): number | undefined {
  if (!p?.requestsPerSecond && !p?.tokensPerMinute) return req === 0 ? 0 : undefined;
  return Math.max(
    p.requestsPerSecond ? req / p.requestsPerSecond : 0,
    p.tokensPerMinute ? (tok / p.tokensPerMinute) * 60 : 0,
  );
}

/** The graph phase, then the conversations: each as long as its slowest provider (they work in parallel). */
function durationOf(providers: ProviderEstimate[]): number | undefined {
  const phases = (pick: (p: ProviderEstimate) => number | undefined): number | undefined => {
    const all = providers.map(pick);
    return all.some((s) => s === undefined) ? undefined : Math.max(0, ...(all as number[]));
  };
  const graphSec = phases((p) => p.graphSeconds);
  const convSec = phases((p) => p.conversationSeconds);
  return graphSec !== undefined && convSec !== undefined ? graphSec + convSec : undefined;
}

/** What the figures leave out or assume, so a reader knows how far to trust them. */
function estimateNotes(
  input: RunInput,
  roles: Roles,
  rows: RoleEstimate[],
  studentErrorRate: number,
): string[] {
  const notes: string[] = [
    'answers are stood in for by the offline backend (same shape); a real model writes longer or shorter text',
    'not counted: repair requests for invalid answers; answers already in the response cache (free)',
  ];
  if (roles.nested_judge.provider === 'llm')
    notes.push(
      'nested judge: one request per distinct walk function with feeding neighbours (cached per run)',
    );
  if (roles.student.provider === 'llm')
    notes.push(
      `mDPO: error judge and negative teacher assume a student error rate of ${studentErrorRate} per sample (--student-error-rate)`,
    );
  if (!input.graphPath && roles.dependency_judge.provider === 'llm')
    notes.push("the plan uses the offline judge's graph; the LLM judge's edges change the walks a little");
  for (const r of rows.filter((x) => !x.priced))
    notes.push(`no price for ${r.model} in llm.prices: its cost counts as 0`);
  notes.push(...cacheNotes(roles, rows));
  if (rows.some((x) => x.tokenizer === 'chars/4'))
    notes.push("tokens of models other than OpenAI's are approximated as characters / 4");
  return notes;
}

const usd = (n: number): string => `$${n < 1 ? n.toFixed(4) : n.toFixed(2)}`;

/** Models that think before they answer: their thinking is billed as output, and the offline answers have none. */
const REASONING_FAMILY = /^(o[134](-|$)|gpt-5(?!.*-chat))|thinking|^gemini-(2\.5|3)/i;

/** What the prompt cache is assumed to serve and save, how its tokens are priced, and reasoning models. */
function cacheNotes(roles: Roles, rows: RoleEstimate[]): string[] {
  const notes: string[] = [];
  const input = rows.reduce((n, r) => n + r.inputTokens, 0);
  const cached = rows.reduce((n, r) => n + r.cachedInputTokens, 0);
  if (cached > 0) {
    const cost = rows.reduce((n, r) => n + r.costUsd, 0);
    const uncached = rows.reduce((n, r) => n + (r.uncachedCostUsd ?? r.costUsd), 0);
    notes.push(
      `prompt cache: ${Math.round((cached / Math.max(1, input)) * 100)}% of input tokens assumed served from the provider's cache ` +
        `(the prefixes the sampled requests share, by the provider's rule: OpenAI from 1,024 tokens in steps of 128, Gemini from 2,048); ` +
        `with no cache (a server that reports no cached tokens) the run costs ${usd(uncached)} instead of ${usd(cost)}`,
    );
  }
  // models whose cached input is priced by the default share: model -> provider kind
  const defaults = new Map<string, 'openai' | 'gemini'>();
  for (const r of rows) {
    const role = roles[r.role as LlmRole];
    if (role.provider !== 'llm' || !role.price || role.price.cachedInput !== undefined) continue;
    if (r.cachedInputTokens > 0) defaults.set(r.model, role.kind);
  }
  for (const [model, kind] of defaults)
    notes.push(
      `cached input of ${model} priced at ${DEFAULT_CACHED_INPUT_SHARE[kind] * 100}% of its input price (${kind}'s smallest published discount): set llm.prices.${model}.cachedInput to its listed cached price`,
    );
  const reasoning = [...new Set(rows.map((r) => r.model))].filter((m) =>
    REASONING_FAMILY.test(m.slice(m.lastIndexOf('/') + 1)),
  );
  if (reasoning.length)
    notes.push(
      `reasoning model ${reasoning.join(', ')}: its thinking tokens are billed as output and not counted here (the answers stood in for have none), so output and cost are a lower bound`,
    );
  return notes;
}

/** The run's totals over its roles. */
function totalOf(rows: RoleEstimate[]): Estimate['total'] {
  return rows.reduce(
    (t, r) => ({
      requests: t.requests + r.requests,
      inputTokens: t.inputTokens + r.inputTokens,
      cachedInputTokens: t.cachedInputTokens + r.cachedInputTokens,
      outputTokens: t.outputTokens + r.outputTokens,
      costUsd: t.costUsd + r.costUsd,
      uncachedCostUsd: (t.uncachedCostUsd ?? 0) + (r.uncachedCostUsd ?? r.costUsd),
    }),
    { requests: 0, inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, costUsd: 0, uncachedCostUsd: 0 },
  );
}

/** Writes the run folder's estimate file (when the run starts). */
export async function writeEstimate(outDir: string, e: Estimate): Promise<string> {
  const file = runLayout(outDir).estimate;
  await writeAtomic(file, JSON.stringify(e, null, 2));
  return file;
}

/** The run's stored estimate, or undefined when it has none (a run of an earlier release) or it is unreadable. */
export async function readEstimate(outDir: string): Promise<Estimate | undefined> {
  const raw = await readJson(runLayout(outDir).estimate).catch(() => undefined);
  const parsed = Estimate.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}
