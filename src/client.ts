import net from 'node:net';
import {
  Client,
  Connection,
  defaultPayloadConverter,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type WorkflowHandle,
} from '@temporalio/client';
import { RunInput } from './core/config';
import { NO_USAGE } from './core/usage';
import { ConfigError } from './io/config-file';
import { readEstimate, type Estimate } from './estimate/estimate';
import { readLedger, type LedgerTotals } from './io/ledger';
import { runLayout } from './io/run-layout';
import { temporalConnection } from './server/connection';
import { ensureTemporal, runningTemporal, type ServerInfo } from './server/dev-server';
import { RunFailedError, runFailure, runFailureOf, type RunFailure } from './server/failure';
import { ensureSearchAttributes } from './server/search-attributes';
import { Unreachable, withServer, type WaitOptions } from './server/wait';
import {
  type ConversationInput,
  type ConversationResult,
  type ConversationStatus,
  MagnetRun,
  RERUN_WORKFLOW,
  RUN_WORKFLOW,
  type RerunWorkflow,
  type RetryTurnAccepted,
  type RunPause,
  type RunProgress,
  type RunSummary,
  type RunWorkflow,
  type TurnFailure,
  conversationStatusQuery,
  overrideProblem,
  pauseSignal,
  progressQuery,
  resumeSignal,
  retryTurnSignal,
  retryTurnUpdate,
  stopSignal,
} from './contracts';

/** The operations the CLI (or any other program) performs on magnet runs through a Temporal client. */

export type RunHandle = WorkflowHandle<RunWorkflow>;

/** A client for the server at `address`, with namespace, TLS, API key and headers from Temporal's env config. */
export async function connectClient(address: string): Promise<Client> {
  const { namespace, ...connectOptions } = temporalConnection(address);
  const connection = await Connection.connect(connectOptions);
  return new Client({ connection, namespace });
}

function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split('\n')[0] ?? '';
}

/** Connection.connect waits out its whole timeout on a port nobody listens on; a refused TCP connect is instant. */
function refused(address: string): Promise<boolean> {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(address);
  if (!m) return Promise.resolve(false);
  return new Promise((resolve) => {
    const sock = net.connect({ host: m[1], port: Number(m[2]) });
    const done = (v: boolean): void => {
      sock.destroy();
      resolve(v);
    };
    // a slow or filtered network is left to the SDK's own deadline
    sock.setTimeout(3000, () => done(false));
    sock.once('connect', () => done(false));
    sock.once('error', (e: NodeJS.ErrnoException) =>
      done(e.code === 'ECONNREFUSED' || e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN'),
    );
  });
}

/**
 * A client for the configured Temporal (TEMPORAL_ADDRESS or the Temporal config profile) or the local dev
 * server. Only `startLocal` callers (commands that do work) may start the dev server; for the others no
 * server is one clear error. `wait`: keep trying while the server cannot be reached (default: one try).
 */
export async function connect(
  opts: { startLocal?: boolean; wait?: WaitOptions } = {},
): Promise<{ client: Client; server: ServerInfo }> {
  const server = opts.startLocal ? await ensureTemporal() : await runningTemporal();
  const noServer = (why: string): ConfigError =>
    new ConfigError(
      `no Temporal server at ${server.address}${server.local ? '' : ' (TEMPORAL_ADDRESS or the Temporal config profile)'}: ${why}`,
    );
  const attempt = async (): Promise<Client> => {
    if (await refused(server.address)) throw new Unreachable('connection refused');
    return connectClient(server.address);
  };
  try {
    return { client: await withServer(server.address, attempt, opts.wait ?? { seconds: 0 }), server };
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw noServer(firstLine(e));
  }
}

/** Starts a run (its search attributes registered first when the server allows); the caller watches it. */
export async function startRun(
  client: Client,
  input: RunInput,
): Promise<{ handle: RunHandle; input: RunInput }> {
  input = { ...input, searchAttributes: await ensureSearchAttributes(client, client.options.namespace) };
  const handle = await client.workflow.start<RunWorkflow>(RUN_WORKFLOW, {
    taskQueue: input.taskQueue,
    workflowId: input.runId,
    args: [input],
    memo: { outDir: input.outDir, conversations: input.config.conversations },
    staticSummary: `magnet run: ${input.config.conversations} conversations`,
    ...(input.searchAttributes ? { typedSearchAttributes: [{ key: MagnetRun, value: input.runId }] } : {}),
  });
  return { handle, input };
}

/**
 * Polls the run's progress until it finishes; the run goes on whether or not anyone watches. A failed run
 * rejects with a RunFailedError saying where and why in one line.
 */
export async function watchRun(handle: RunHandle, onProgress: (p: RunProgress) => void): Promise<RunSummary> {
  let finished = false;
  const result = handle
    .result()
    .catch((e: unknown) => {
      throw new RunFailedError(handle.workflowId, runFailure(e));
    })
    .finally(() => (finished = true));
  // handles the result's rejection at once: a closed run's comes while the first query is still pending
  const ended = result.then(
    () => undefined,
    () => undefined,
  );
  while (!finished) {
    // a query fails while the workflow is between tasks (or continuing as new): the next poll sees it; a
    // closed run has no worker to answer one, so its end is not kept waiting for the query's timeout
    const p = await Promise.race([handle.query(progressQuery).catch(() => undefined), ended]);
    if (p) onProgress(p);
    await Promise.race([ended, new Promise((r) => setTimeout(r, 500))]);
  }
  return result;
}

/**
 * The run's end status (COMPLETED, FAILED, CANCELLED, TERMINATED, TIMED_OUT), or undefined while it runs or
 * when the server does not answer. A run continuing as new is still running: its latest execution is.
 */
export async function runEnded(client: Client, runId: string): Promise<string | undefined> {
  try {
    const { status } = await client.workflow.getHandle(runId).describe();
    return status.name === 'RUNNING' || status.name === 'CONTINUED_AS_NEW' ? undefined : status.name;
  } catch {
    return undefined;
  }
}

/** The first execution of a run (continue-as-new makes more): the one that holds the run's input. */
export async function firstExecution(client: Client, runId: string): Promise<{ runId: string; start: Date }> {
  let first: { runId: string; start: Date } | undefined;
  for await (const wf of client.workflow.list({ query: `WorkflowId = '${runId}'` })) {
    if (!first || wf.startTime < first.start) first = { runId: wf.runId, start: wf.startTime };
  }
  if (!first) throw new ConfigError(`run ${runId}: not found`);
  return first;
}

/** The RunInput a run was started with (first event of its first execution): config, paths, queues. */
export async function runInputOf(client: Client, runId: string): Promise<RunInput> {
  const input = await startInput(
    client.workflow.getHandle(runId, (await firstExecution(client, runId)).runId),
  );
  if (input === undefined) throw new ConfigError(`run ${runId}: no start event found`);
  return RunInput.parse(input);
}

/** The first argument an execution was started with (its first event), undefined when there is none. */
async function startInput(handle: WorkflowHandle): Promise<unknown> {
  const history = await handle.fetchHistory();
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  return payload ? defaultPayloadConverter.fromPayload(payload) : undefined;
}

export interface ConversationInfo {
  workflowId: string;
  status: string;
  conversation?: ConversationStatus;
}

/** Conversations of a run waiting for a retry after a failed turn, and its graph when a judge request failed. */
export async function waitingConversations(
  client: Client,
  runId: string,
  searchAttributes: boolean,
): Promise<ConversationInfo[]> {
  const query = searchAttributes
    ? `MagnetRun = '${runId}' AND MagnetStatus = 'waiting' AND ExecutionStatus = 'Running'`
    : `(WorkflowId STARTS_WITH '${runId}/conv-' OR WorkflowId = '${runId}/graph') AND ExecutionStatus = 'Running'`;
  const out: ConversationInfo[] = [];
  for await (const wf of client.workflow.list({ query })) {
    const status = await within(client, QUERY_MS, () =>
      client.workflow.getHandle(wf.workflowId).query(conversationStatusQuery),
    );
    // no worker answers: the search attribute says it waits (without it nothing does), not why
    if (status?.waiting)
      out.push({ workflowId: wf.workflowId, status: wf.status.name, conversation: status });
    else if (!status && searchAttributes) out.push({ workflowId: wf.workflowId, status: wf.status.name });
  }
  return out.sort((a, b) => (a.workflowId < b.workflowId ? -1 : 1));
}

/** How long a query waits for a worker: a run nobody works on must not hold a command up for half a minute. */
const QUERY_MS = 2000;

/** `fn`'s answer, or undefined when the server has none within `ms` (no worker polls the queue). */
async function within<T>(client: Client, ms: number, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await client.withDeadline(Date.now() + ms, fn);
  } catch (e) {
    if (e instanceof WorkflowNotFoundError) throw e;
    return undefined;
  }
}

export async function progressOf(client: Client, runId: string): Promise<RunProgress> {
  return client.workflow.getHandle(runId).query(progressQuery);
}

/**
 * A running run's progress when no worker answers its query: what Temporal stores. Its conversations' states
 * (visibility), the planned count (the run's memo, else its input), the waiting ones (search attribute).
 * Turn and call counts and usage are not stored there (`paid` comes from the ledger); `phase` is inferred.
 */
async function storedProgress(
  client: Client,
  runId: string,
  planned: number,
  searchAttributes: boolean,
): Promise<RunProgress> {
  const count = async (q: string): Promise<number> =>
    (await client.workflow.count(`WorkflowId STARTS_WITH '${runId}/conv-' AND ${q}`)).count;
  const [completed, failed, running, graph] = await Promise.all([
    count(`ExecutionStatus = 'Completed'`),
    count(`ExecutionStatus = 'Failed'`),
    count(`ExecutionStatus = 'Running'`),
    client.workflow.count(`WorkflowId = '${runId}/graph'`),
  ]);
  const waiting = searchAttributes
    ? (
        await client.workflow.count(
          `MagnetRun = '${runId}' AND MagnetStatus = 'waiting' AND ExecutionStatus = 'Running'`,
        )
      ).count
    : 0;
  const started = completed + failed + running;
  return {
    runId,
    phase: started > 0 ? 'conversations' : graph.count > 0 ? 'graph' : 'pool',
    paused: false,
    planned,
    started,
    completed,
    failed,
    inFlight: running - waiting,
    waiting,
    failures: {},
    turns: 0,
    calls: 0,
    retried: 0,
    usage: NO_USAGE,
  };
}

/** Why a run that ended in failure failed: the WorkflowExecutionFailed event of its last execution. */
async function failureOf(handle: WorkflowHandle): Promise<RunFailure | undefined> {
  const events = (await handle.fetchHistory()).events ?? [];
  const failure = events.at(-1)?.workflowExecutionFailedEventAttributes?.failure;
  return failure ? runFailureOf(failure) : undefined;
}

/**
 * A closed run has no worker to answer queries: its result carries the final numbers; a failed run's
 * history says in which phase and why.
 */
async function finalProgress(
  handle: WorkflowHandle,
  runId: string,
  failure: RunFailure | undefined,
  planned: number,
): Promise<RunProgress> {
  const s = (await handle.result().catch(() => undefined)) as RunSummary | undefined;
  // conversations the filters emptied completed too (reports of earlier releases do not count them)
  const ended = s ? s.conversations + s.failed + (s.emptied ?? 0) : 0;
  return {
    runId,
    phase: s ? 'done' : (failure?.phase ?? 'export'),
    paused: false,
    // a run stopped early ended fewer than it planned: the rest never started
    planned: s?.stopped ? Math.max(planned, ended) : ended,
    started: ended,
    completed: s ? s.conversations + (s.emptied ?? 0) : 0,
    failed: s?.failed ?? 0,
    inFlight: 0,
    waiting: 0,
    failures: s?.failures ?? {},
    turns: s?.turns ?? 0,
    calls: s?.calls ?? 0,
    retried: 0,
    usage: s?.usage ?? NO_USAGE,
    summary: s,
  };
}

export interface RunStatus extends Omit<RunProgress, 'waiting'> {
  /** The workflow execution status (RUNNING, COMPLETED, ...). */
  status: string;
  /** No worker answered the run's query: the counts are what Temporal stores (no turns, calls or usage). */
  unanswered?: true;
  waiting: { id: string; failure?: TurnFailure }[];
  /** Why the run failed (status FAILED). */
  failure?: RunFailure;
  /** Every request paid so far, from the run's call ledger (when its folder is readable here). */
  paid?: LedgerTotals;
  /** The estimate stored when the run started (`magnet estimate`), to set beside what was paid. */
  estimate?: Estimate;
  elapsedSeconds: number;
  ratePerMinute: number;
  etaSeconds?: number;
}

/** Progress, waiting conversations and why, rate and ETA of a run. */
export async function runStatus(client: Client, runId: string): Promise<RunStatus> {
  const handle = client.workflow.getHandle(runId);
  const desc = await handle.describe();
  const input = await runInputOf(client, runId);
  const failure = desc.status.name === 'FAILED' ? await failureOf(handle) : undefined;
  const planned =
    Number((desc.memo as { conversations?: unknown } | undefined)?.conversations) ||
    input.config.conversations;
  const answered =
    desc.status.name === 'RUNNING'
      ? await within(client, QUERY_MS, () => progressOf(client, runId))
      : undefined;
  const p =
    desc.status.name !== 'RUNNING'
      ? await finalProgress(handle, runId, failure, planned)
      : (answered ?? (await storedProgress(client, runId, planned, input.searchAttributes === true)));
  const waiting = await waitingConversations(client, runId, input.searchAttributes);
  const paid = await readLedger(runLayout(input.outDir).llmCalls);
  const estimate = await readEstimate(input.outDir);
  const first = (await firstExecution(client, runId)).start;
  const end = desc.closeTime ?? new Date();
  const elapsed = (end.getTime() - first.getTime()) / 1000;
  const done = p.completed + p.failed;
  const rate = elapsed > 0 ? done / elapsed : 0;
  return {
    status: desc.status.name,
    ...(desc.status.name === 'RUNNING' && !answered ? { unanswered: true } : {}),
    ...p,
    waiting: waiting.map((w) => ({ id: w.workflowId, failure: w.conversation?.failure })),
    failure,
    paid,
    estimate,
    elapsedSeconds: Math.round(elapsed),
    ratePerMinute: Math.round(rate * 600) / 10,
    etaSeconds: rate > 0 && p.phase === 'conversations' ? Math.round((p.planned - done) / rate) : undefined,
  };
}

/** What became of a retry request to one conversation. */
export type RetryOutcome =
  /** The conversation's validator accepted it: `step` runs again. */
  | { id: string; outcome: 'accepted'; step: RetryTurnAccepted }
  /** Started by the first release (no retry update): sent as the old signal, outcome unconfirmed. */
  | { id: string; outcome: 'signalled'; failure?: TurnFailure }
  | { id: string; outcome: 'rejected'; reason: string };

export interface RetryRequest {
  /** `conv-00042` or a full workflow id; default: every waiting conversation of the run. */
  conversation?: string;
  /** Only conversations whose failed step is in this turn (1-based). */
  turn?: number;
  /** `role.field` -> value overrides for the step and what follows. */
  set: Record<string, string>;
}

async function targets(client: Client, runId: string, req: RetryRequest): Promise<ConversationInfo[]> {
  if (!req.conversation) {
    const input = await runInputOf(client, runId);
    return waitingConversations(client, runId, input.searchAttributes);
  }
  const id = req.conversation.includes('/') ? req.conversation : `${runId}/${req.conversation}`;
  const desc = await client.workflow
    .getHandle(id)
    .describe()
    .catch((e: unknown) => {
      if (e instanceof WorkflowNotFoundError) throw new ConfigError(`conversation ${id}: not found`);
      throw e;
    });
  // a closed conversation has no worker to answer a query: the update's rejection says why
  const conversation =
    desc.status.name === 'RUNNING'
      ? await client.workflow.getHandle(id).query(conversationStatusQuery)
      : undefined;
  return [{ workflowId: id, status: desc.status.name, conversation }];
}

function rejection(e: unknown): string | undefined {
  if (e instanceof WorkflowUpdateFailedError) return firstLine(e.cause ?? e);
  if (e instanceof WorkflowNotFoundError) return firstLine(e);
  return undefined;
}

/**
 * Asks the failed step of each matching waiting conversation to run again (the `retryTurn` update), with
 * `set` overrides; each conversation's validator accepts or says why not.
 */
export async function retryWaiting(
  client: Client,
  runId: string,
  req: RetryRequest,
): Promise<RetryOutcome[]> {
  let found = await targets(client, runId, req);
  if (req.turn !== undefined)
    found = found.filter((w) => w.conversation?.failure?.turn === (req.turn as number) - 1);
  const out: RetryOutcome[] = [];
  for (const w of found) {
    const handle = client.workflow.getHandle(w.workflowId);
    try {
      const step = await handle.executeUpdate(retryTurnUpdate, { args: [{ set: req.set }] });
      out.push({ id: w.workflowId, outcome: 'accepted', step });
    } catch (e) {
      const reason = rejection(e);
      if (reason === undefined) throw e;
      if (/No registered handler for update/i.test(reason)) {
        await handle.signal(retryTurnSignal, { set: req.set });
        out.push({ id: w.workflowId, outcome: 'signalled', failure: w.conversation?.failure });
      } else if (/aborted by closing workflow|already completed/i.test(reason)) {
        // the conversation ended while the update was on its way (its step had gone through): say how it ended
        const status = (await handle.describe()).status.name.toLowerCase();
        const ended = `${w.workflowId} is not waiting for a retry: it ended (${status})`;
        out.push({ id: w.workflowId, outcome: 'rejected', reason: ended });
      } else out.push({ id: w.workflowId, outcome: 'rejected', reason });
    }
  }
  return out;
}

/**
 * The handle of a run that is still running, for a control command: every command on a run that has ended
 * (or never existed) fails the same way, in one sentence (cancel used to say "sent" to an ended run).
 */
async function runningRun(client: Client, runId: string, what: string): Promise<WorkflowHandle> {
  const handle: WorkflowHandle = client.workflow.getHandle(runId);
  const desc = await handle.describe().catch((e: unknown) => {
    if (e instanceof WorkflowNotFoundError) throw new ConfigError(`run ${runId}: not found`);
    throw e;
  });
  if (desc.status.name !== 'RUNNING')
    throw new ConfigError(`run ${runId} has ended (${desc.status.name}): there is nothing to ${what}`);
  return handle;
}

export async function signalRun(
  client: Client,
  runId: string,
  what: 'pause' | 'resume' | 'stop' | 'cancel',
): Promise<void> {
  const handle = await runningRun(client, runId, what);
  if (what === 'cancel') await handle.cancel();
  else if (what === 'pause') await handle.signal(pauseSignal);
  else if (what === 'resume') await handle.signal(resumeSignal);
  else await handle.signal(stopSignal);
}

/** What `magnet resume` did: why the run had paused itself (if it had), and the retried waiting steps. */
export interface Resumed {
  pause?: RunPause;
  retried: RetryOutcome[];
}

/**
 * Resumes a run: it starts conversations again, with `set` overriding roles of those it starts from now on and
 * of those running. When the run had paused itself (a role found unfit) or `set` is given, every step waiting
 * for a retry runs again with the overrides, as `magnet retry --failed --set` would.
 */
export async function resumeRun(
  client: Client,
  runId: string,
  set: Record<string, string>,
): Promise<Resumed> {
  const handle = await runningRun(client, runId, 'resume');
  // with no worker on the run the query would hold the command up for half a minute (issue 23: found by the
  // docs-commands test); then nobody knows whether it paused itself, and the signal alone resumes it
  const before = await within(client, QUERY_MS, () => progressOf(client, runId));
  await handle.signal(resumeSignal, Object.keys(set).length > 0 ? { set } : {});
  const retry = before?.pause !== undefined || Object.keys(set).length > 0;
  return { pause: before?.pause, retried: retry ? await retryWaiting(client, runId, { set }) : [] };
}

export async function listRuns(client: Client): Promise<{ runId: string; status: string; start: Date }[]> {
  const seen = new Map<string, { runId: string; status: string; start: Date }>();
  for await (const wf of client.workflow.list({ query: `WorkflowType = '${RUN_WORKFLOW}'` })) {
    const prev = seen.get(wf.workflowId);
    // continue-as-new makes several executions per run: keep the latest
    if (!prev || prev.start < wf.startTime)
      seen.set(wf.workflowId, { runId: wf.workflowId, status: wf.status.name, start: wf.startTime });
  }
  return [...seen.values()].sort((a, b) => b.start.getTime() - a.start.getTime());
}

/** A conversation that ended failed, with the input of that execution (what a rerun starts again). */
export interface FailedConversation {
  id: string;
  input: ConversationInput;
  failure?: TurnFailure;
}

/** The conversations of a run whose latest execution ended failed (their wait for a retry ran out). */
export async function failedConversations(client: Client, runId: string): Promise<FailedConversation[]> {
  // every execution, whatever its status: a conversation whose latest execution is a rerun still under way
  // is not failed (filtering on Completed would find its older, failed execution instead)
  const latest = new Map<string, { runId: string; start: Date; status: string }>();
  for await (const wf of client.workflow.list({ query: `WorkflowId STARTS_WITH '${runId}/conv-'` })) {
    const seen = latest.get(wf.workflowId);
    if (!seen || seen.start < wf.startTime)
      latest.set(wf.workflowId, { runId: wf.runId, start: wf.startTime, status: wf.status.name });
  }
  const out: FailedConversation[] = [];
  for (const [id, { runId: execution, status }] of latest) {
    if (status !== 'COMPLETED') continue;
    const handle = client.workflow.getHandle(id, execution);
    const result = (await handle.result()) as ConversationResult;
    if (result.status !== 'failed') continue;
    const input = (await startInput(handle)) as ConversationInput | undefined;
    if (input) out.push({ id, input, failure: result.failure });
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : 1));
}

/**
 * Starts `magnet rerun --failed`: a new execution of each failed conversation of an ended run (or only of
 * `conversation`), then the run's exports again. The caller runs workers and awaits the handle.
 */
export async function startRerun(
  client: Client,
  runId: string,
  opts: { conversation?: string; set: Record<string, string> },
): Promise<{
  handle: WorkflowHandle<RerunWorkflow> | undefined;
  conversations: FailedConversation[];
  input: RunInput;
}> {
  const run = client.workflow.getHandle(runId);
  const desc = await run.describe().catch((e: unknown) => {
    if (e instanceof WorkflowNotFoundError) throw new ConfigError(`run ${runId}: not found`);
    throw e;
  });
  if (desc.status.name === 'RUNNING')
    throw new ConfigError(
      `run ${runId} is still running: a conversation waiting for a retry is retried with "magnet retry ${runId} --failed"; rerun is for runs that ended`,
    );
  if (desc.status.name !== 'COMPLETED')
    throw new ConfigError(`run ${runId} ended ${desc.status.name}: it has no export to rerun into`);
  const before = (await run.result()) as RunSummary;
  const input = await runInputOf(client, runId);
  let conversations = await failedConversations(client, runId);
  if (opts.conversation) {
    const id = opts.conversation.includes('/') ? opts.conversation : `${runId}/${opts.conversation}`;
    conversations = conversations.filter((c) => c.id === id);
    if (conversations.length === 0)
      throw new ConfigError(`conversation ${id}: not among the failed ones of ${runId}`);
  }
  for (const [key, value] of Object.entries(opts.set)) {
    const problem = overrideProblem(key, value, Object.keys(conversations[0]?.input.roles ?? {}));
    if (problem) throw new ConfigError(`--set ${problem}`);
  }
  const first = conversations[0];
  if (!first) return { handle: undefined, conversations, input };
  const handle = await client.workflow.start<RerunWorkflow>(RERUN_WORKFLOW, {
    taskQueue: input.taskQueue,
    workflowId: `${runId}/rerun-${Date.now()}`,
    staticSummary: `rerun of ${conversations.length} failed conversation(s) of ${runId}`,
    args: [
      {
        runId,
        outDir: input.outDir,
        storeDir: input.storeDir,
        poolRef: first.input.poolRef,
        conversations: conversations.map((c) => ({
          input: c.input,
          failureType: c.failure?.type ?? 'unknown',
        })),
        before: {
          failed: before.failed,
          failures: before.failures,
          usage: before.usage,
          ...(before.mix ? { mix: before.mix } : {}),
        },
        set: opts.set,
        concurrency: input.config.concurrency.conversations,
      },
    ],
  });
  return { handle, conversations, input };
}
