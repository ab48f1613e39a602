import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { ConversationRecord } from '../../src/core/conversation';
import { killLeftovers, sigkill, sleep, spawnMagnet, type Proc } from '../helpers/crash-procs';
import { memoryEntry, notesEntry } from '../helpers/mcp';
import { connect, temporalAddress } from '../helpers/temporal';

/**
 * A worker killed mid-conversation on an MCP pool: `magnet run` (client + in-process worker) is SIGKILLed
 * while the notes server holds a turn's get_note of a note created in an earlier turn. Its server process
 * goes with it. A `magnet worker` started afterwards gets the retried turn with no server for the
 * conversation: it starts a fresh one, executes the conversation's recorded calls again (the note exists
 * again), and the call succeeds; the record says the state was rebuilt and that the server answered alike.
 * Scope folders: the killed process's are removed when the next worker starts, the worker's own when it
 * stops (SIGTERM): none of the run's are left (the processes get a temp folder of their own to count in).
 */

jest.setTimeout(5 * 60_000);
let client: Client;
const procs: Proc[] = [];

beforeAll(async () => {
  client = await connect();
});
afterAll(async () => {
  killLeftovers();
  await client?.connection.close();
});

async function until(what: string, ok: () => boolean, timeoutMs = 120_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end)
      throw new Error(`timed out waiting for ${what}: ${procs.map((p) => p.output()).join('\n')}`);
    await sleep(200);
  }
}

it('the retried turn of a killed worker sees the conversation state rebuilt on a fresh server', async () => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'magnet-mcp-crash-'));
  const gate = path.join(home, 'gate');
  const reached = path.join(home, 'reached');
  writeFileSync(gate, '');
  const configFile = path.join(home, 'run.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      pool: [
        {
          mcp: notesEntry({
            inferOutputs: 'all',
            // SCOPE: the notes server keeps nothing there; it makes its instances get scope folders
            env: { GATE_FILE: gate, REACHED_FILE: reached, SCOPE: '${scopeDir}' },
          }),
        },
        { mcp: memoryEntry() },
      ],
      seed: 5,
      conversations: 1,
      // the test is about conversations' calls: multi-turn items only (the mix has its own test)
      mix: { multi_turn: 1 },
      llm: { default: { provider: 'offline' } },
    }),
  );
  const runId = `mcp-crash-${process.pid}-${Date.now()}`;
  const tmp = path.join(home, 'tmp');
  mkdirSync(tmp);
  const scopeFolders = (): string[] => readdirSync(tmp).filter((n) => n.startsWith('magnet-mcp-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: temporalAddress(),
    MAGNET_HOME: home,
    TMPDIR: tmp,
  };
  delete env.MAGNET_TASK_QUEUE;
  const cli = spawnMagnet('cli', ['run', '--config', configFile, '--run-id', runId], env, home);
  procs.push(cli);
  await until('get_note to be held by the notes server', () => existsSync(reached));
  const held = JSON.parse(readFileSync(reached, 'utf8')) as { note_id: string; title: string };
  await sigkill(cli);
  rmSync(gate);
  // the killed process's instances (notes and memory) left their folders
  expect(scopeFolders().filter((n) => n.startsWith(`magnet-mcp-${cli.pid}-`)).length).toBeGreaterThan(0);

  const worker = spawnMagnet('worker', ['worker', '--run', runId], env, home);
  procs.push(worker);
  await client.workflow.getHandle(runId).result();
  expect(scopeFolders().filter((n) => n.startsWith(`magnet-mcp-${cli.pid}-`))).toEqual([]);
  process.kill(worker.pid, 'SIGTERM');
  await worker.exited;
  expect(scopeFolders()).toEqual([]);

  const dir = path.join(home, 'runs', runId, 'conversations');
  const [file] = readdirSync(dir);
  const record = JSON.parse(readFileSync(path.join(dir, file as string), 'utf8')) as ConversationRecord;
  const calls = record.turns.flatMap((t) => t.calls.map((c) => ({ ...c, turn: t.index })));
  const created = calls.find((c) => c.name === 'create_note');
  const got = calls.find((c) => c.name === 'get_note');
  expect(created?.output).toEqual(held);
  // the call the killed worker never finished, executed by the new worker's fresh server after the rebuild
  expect(got).toMatchObject({ executor: 'mcp:notes', output: held, arguments: { note_id: held.note_id } });
  expect(got?.error).toBeUndefined();
  expect((got?.turn ?? 0) > (created?.turn ?? 0)).toBe(true);
  expect(got?.rebuilt).toEqual([
    {
      source: 'notes',
      calls: calls.filter((c) => c.turn < (got?.turn ?? 0) && c.executor === 'mcp:notes').length,
      differences: [],
    },
  ]);
  // the fresh server's stderr is in the new worker's log, prefixed with the server's name
  expect(worker.output()).toMatch(/\[mcp notes\] notes server \d+ started/);
});
