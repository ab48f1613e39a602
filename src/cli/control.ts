import { defaultPayloadConverter, type Client, type WorkflowHandle } from '@temporalio/client';
import { RunInput } from '../core/config';
import { ConfigError } from '../io/config-file';
import { conversationStatusQuery, retryTurnSignal, type ConversationStatus } from '../workflows/conversation';
import { pauseSignal, progressQuery, resumeSignal, type RunProgress } from '../workflows/run';

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
  const history = await client.workflow
    .getHandle(runId, (await firstExecution(client, runId)).runId)
    .fetchHistory();
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) throw new ConfigError(`run ${runId}: no start event found`);
  return RunInput.parse(defaultPayloadConverter.fromPayload(payload));
}

export interface ConversationInfo {
  workflowId: string;
  status: string;
  conversation?: ConversationStatus;
}

/** Conversations of a run that are waiting for a retry after a failed turn. */
export async function waitingConversations(
  client: Client,
  runId: string,
  searchAttributes: boolean,
): Promise<ConversationInfo[]> {
  const query = searchAttributes
    ? `MagnetRun = '${runId}' AND MagnetStatus = 'waiting' AND ExecutionStatus = 'Running'`
    : `WorkflowId STARTS_WITH '${runId}/conv-' AND ExecutionStatus = 'Running'`;
  const out: ConversationInfo[] = [];
  for await (const wf of client.workflow.list({ query })) {
    const status = await client.workflow.getHandle(wf.workflowId).query(conversationStatusQuery);
    if (status.waiting) out.push({ workflowId: wf.workflowId, status: wf.status.name, conversation: status });
  }
  return out.sort((a, b) => (a.workflowId < b.workflowId ? -1 : 1));
}

/** `role.field=value` pairs from --set flags, checked before anything is signalled. */
export function parseSets(sets: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of sets) {
    const m = /^([a-z_]+)\.(model|temperature|maxTokens)=(.+)$/.exec(s);
    if (!m) throw new ConfigError(`--set ${s}: expected <role>.<model|temperature|maxTokens>=<value>`);
    out[`${m[1]}.${m[2]}`] = m[3] as string;
  }
  return out;
}

/** Sends retryTurn to the waiting conversations that match; returns which ones. */
export async function replayFailed(
  client: Client,
  runId: string,
  opts: { conversation?: string; turn?: number; set: Record<string, string> },
): Promise<ConversationInfo[]> {
  const input = await runInputOf(client, runId);
  let waiting = await waitingConversations(client, runId, input.searchAttributes);
  if (opts.conversation) {
    const want = opts.conversation.includes('/') ? opts.conversation : `${runId}/${opts.conversation}`;
    waiting = waiting.filter((w) => w.workflowId === want);
  }
  if (opts.turn !== undefined)
    waiting = waiting.filter((w) => w.conversation?.failure?.turn === (opts.turn as number) - 1);
  for (const w of waiting)
    await client.workflow.getHandle(w.workflowId).signal(retryTurnSignal, { set: opts.set });
  return waiting;
}

export async function progressOf(client: Client, runId: string): Promise<RunProgress> {
  return client.workflow.getHandle(runId).query(progressQuery);
}

export async function signalRun(
  client: Client,
  runId: string,
  what: 'pause' | 'resume' | 'cancel',
): Promise<void> {
  const handle: WorkflowHandle = client.workflow.getHandle(runId);
  if (what === 'cancel') await handle.cancel();
  else await handle.signal(what === 'pause' ? pauseSignal : resumeSignal);
}

export async function listRuns(client: Client): Promise<{ runId: string; status: string; start: Date }[]> {
  const seen = new Map<string, { runId: string; status: string; start: Date }>();
  for await (const wf of client.workflow.list({ query: `WorkflowType = 'synthesisRun'` })) {
    const prev = seen.get(wf.workflowId);
    // continue-as-new makes several executions per run: keep the latest
    if (!prev || prev.start < wf.startTime)
      seen.set(wf.workflowId, { runId: wf.workflowId, status: wf.status.name, start: wf.startTime });
  }
  return [...seen.values()].sort((a, b) => b.start.getTime() - a.start.getTime());
}
