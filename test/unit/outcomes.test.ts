import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { exportRunActivity } from '../../src/activities/export';
import { ConversationRecord } from '../../src/core/conversation';
import {
  callOutcome,
  infrastructureTotal,
  OutcomeCounter,
  Outcomes,
  unavailableSource,
} from '../../src/core/outcomes';
import { formatOutcomes, printStatus, printSummary } from '../../src/cli/report';
import type { RunStatus } from '../../src/client';
import type { RunSummary } from '../../src/contracts';
import { putJson } from '../../src/io/artifacts';
import { readReportData } from '../../src/report/data';
import { renderReport } from '../../src/report/html';
import { NO_USAGE } from '../../src/core/usage';
import { syntheticRun } from '../helpers/export-run';

/** A call as records store it; `extra` adds outcome, error, executor... */
function call(id: string, extra: Record<string, unknown>): Record<string, unknown> {
  return { id, name: 'f', arguments: {}, sources: {}, after: [], output: {}, executor: 'builtin', ...extra };
}

/** A record with these turns (each a list of calls, optionally regenerated); `more` adds top-level fields. */
function record(
  index: number,
  turns: { calls: Record<string, unknown>[]; regenerated?: number; labels?: string[] }[],
  more: Record<string, unknown> = {},
): ConversationRecord {
  return ConversationRecord.parse({
    id: `r/conv-${String(index).padStart(5, '0')}`,
    runId: 'r',
    index,
    kind: 'multi_turn',
    fsp: {
      walk: ['f'],
      turns: [{ functions: [{ name: 'f', via: 'walk' }], labels: ['walk'] }],
      trace: { mergeBoundaries: 0, merges: 0, insertsShort: 0, insertsLong: 0, split: 'none' },
    },
    tools: ['f'],
    turns: turns.map((t, i) => ({
      index: i,
      labels: t.labels ?? ['walk'],
      functions: [{ name: 'f', via: 'walk' }],
      query: 'q',
      calls: t.calls,
      assistant: { steps: [], final: 'a' },
      ...(t.regenerated !== undefined ? { regenerated: t.regenerated } : {}),
    })),
    stats: { turns: turns.length, calls: turns.flatMap((t) => t.calls).length, failedCalls: 0, negatives: 0 },
    provenance: { backend: 'llm', models: {}, seed: 1, generator: 'magnet-llm/1' },
    ...more,
  });
}

/** A record of an earlier release: no outcome (an error field means failure), executor `mcp`, no grounding. */
const OLD = record(0, [
  { calls: [call('a', {}), call('b', { error: 'boom', executor: 'mcp' })] },
  { calls: [call('c', { executor: 'simulated' })] },
]);

/** A record of this release: outcomes, mcp:<server>, regenerated turns, grounding. */
const NEW = record(
  1,
  [
    { calls: [call('a', { outcome: 'ok', executor: 'mcp:bank' })], regenerated: 2 },
    {
      calls: [call('b', { outcome: 'tool_error', error: 'no such account', executor: 'http' })],
      labels: ['walk', 'tool_error'],
    },
    { calls: [call('c', { outcome: 'ok', executor: 'mcp:bank' })], regenerated: 0 },
    { calls: [], regenerated: 1 },
  ],
  {
    grounding: {
      dropped: [
        { turn: 4, cause: 'tool_error' },
        { turn: 5, cause: 'depends' },
        { turn: 6, cause: 'not_made' },
        { turn: 7, cause: 'depends' },
      ],
      keptErrorTurns: [1],
    },
  },
);

const MCP_DOWN = 'MCP server bank (get_balance): no answer within 30s';
const HTTP_DOWN = 'OpenAPI service pets (listPets): request to GET /pets failed: ECONNREFUSED';

describe('outcomes: what became of calls and turns', () => {
  it('reads a call of an earlier release by its error field, and the outcome when there is one', () => {
    expect(callOutcome({ error: 'x' })).toBe('tool_error');
    expect(callOutcome({})).toBe('ok');
    expect(callOutcome({ outcome: 'ok', error: 'ignored' })).toBe('ok');
    expect(callOutcome({ outcome: 'tool_error' })).toBe('tool_error');
  });

  it('names the tool source a ToolUnavailable message starts with', () => {
    expect(unavailableSource(MCP_DOWN)).toBe('mcp:bank');
    expect(unavailableSource(HTTP_DOWN)).toBe('openapi:pets');
    expect(unavailableSource('MCP server bank: setup call 1 (login) failed: denied')).toBe('mcp:bank');
    expect(unavailableSource('MCP server my-fs did not start: spawn ENOENT')).toBe('mcp:my-fs');
    expect(unavailableSource('no answer within 30s')).toBe('unknown');
    expect(unavailableSource('')).toBe('unknown');
  });

  it('counts records of both shapes and ToolUnavailable failure records by source', () => {
    const c = new OutcomeCounter();
    c.add(OLD);
    c.add(NEW);
    // an emptied record (in filtered/): no turn left, only what grounding dropped
    c.add({ turns: [], grounding: { dropped: [{ turn: 0, cause: 'not_made' }], keptErrorTurns: [] } });
    c.addFailure({ type: 'ToolUnavailable', message: MCP_DOWN });
    c.addFailure({ type: 'ToolUnavailable', message: MCP_DOWN });
    c.addFailure({ type: 'ToolUnavailable', message: HTTP_DOWN });
    c.addFailure({ type: 'ToolUnavailable', message: 'something else' });
    c.addFailure({ type: 'InvalidCall', message: MCP_DOWN });
    const o = c.result();
    expect(o).toEqual({
      calls: { ok: 4, tool_error: 2 },
      callsBySource: { builtin: 1, mcp: 1, simulated: 1, 'mcp:bank': 2, http: 1 },
      regeneratedTurns: 2,
      regenerations: 3,
      keptErrorTurns: 1,
      droppedTurns: { tool_error: 1, not_made: 2, depends: 2 },
      infrastructure: { 'mcp:bank': 2, 'openapi:pets': 1, unknown: 1 },
    });
    expect(infrastructureTotal(o)).toBe(4);
    // the result is a copy: counting on does not change it
    c.add(NEW);
    expect(o.calls.ok).toBe(4);
  });

  it('shows every cause of the three at 0 for a run with nothing dropped', () => {
    expect(new OutcomeCounter().result().droppedTurns).toEqual({ tool_error: 0, not_made: 0, depends: 0 });
  });

  it('reads outcomes of any age: absent fields default to 0', () => {
    expect(Outcomes.parse({})).toEqual({
      calls: { ok: 0, tool_error: 0 },
      callsBySource: {},
      regeneratedTurns: 0,
      regenerations: 0,
      keptErrorTurns: 0,
      droppedTurns: {},
      infrastructure: {},
    });
    expect(Outcomes.parse({ calls: { ok: 3 } }).calls).toEqual({ ok: 3, tool_error: 0 });
  });
});

describe('outcomes in the run summary and magnet status', () => {
  const outcomes: Outcomes = {
    calls: { ok: 87, tool_error: 2 },
    callsBySource: { 'mcp:bank': 60, builtin: 29 },
    regeneratedTurns: 3,
    regenerations: 5,
    keptErrorTurns: 1,
    droppedTurns: { tool_error: 2, not_made: 1, depends: 4 },
    infrastructure: { 'mcp:bank': 2 },
  };

  function printed(fn: () => void): string[] {
    const lines: string[] = [];
    const spy = jest.spyOn(console, 'log').mockImplementation((s: unknown) => void lines.push(String(s)));
    try {
      fn();
    } finally {
      spy.mockRestore();
    }
    return lines;
  }

  it('formats calls, turns and infrastructure failures', () => {
    expect(formatOutcomes(outcomes)).toEqual([
      '  calls by outcome: ok 87, tool_error 2; by source: mcp:bank=60 builtin=29',
      '  turns regenerated: 3 (5 rewrites); kept with tool errors: 1; dropped: tool_error=2 not_made=1 depends=4',
      '  infrastructure failures: 2 conversations (mcp:bank=2)',
    ]);
    expect(formatOutcomes(Outcomes.parse({}))).toEqual([
      '  calls by outcome: ok 0, tool_error 0; by source: none',
      '  turns regenerated: 0 (0 rewrites); kept with tool errors: 0; dropped: none',
      '  infrastructure failures: none',
    ]);
  });

  const summary = (more: Partial<RunSummary>): RunSummary => ({
    runId: 'r',
    conversations: 2,
    failed: 0,
    turns: 5,
    calls: 89,
    failedCalls: 2,
    labels: {},
    failures: {},
    backend: 'llm',
    usage: NO_USAGE,
    ledger: { ...NO_USAGE, byRole: {} },
    dpoPairs: 0,
    files: { sft: 's', report: 'r', conversations: 'c' },
    ...more,
  });

  it('prints the outcomes at the end of a run, and nothing for a summary of an earlier release', () => {
    const lines = printed(() => printSummary(summary({ outcomes })));
    expect(lines).toContain('  infrastructure failures: 2 conversations (mcp:bank=2)');
    const old = printed(() => printSummary(summary({})));
    expect(old.some((l) => l.includes('calls by outcome'))).toBe(false);
  });

  it('names the tool source of waiting ToolUnavailable conversations, and the report outcomes', () => {
    const status: RunStatus = {
      runId: 'r',
      status: 'COMPLETED',
      phase: 'done',
      paused: false,
      planned: 4,
      started: 4,
      completed: 2,
      failed: 0,
      inFlight: 2,
      waiting: [
        {
          id: 'r/conv-00002',
          failure: { turn: 1, stage: 'execute', type: 'ToolUnavailable', message: MCP_DOWN },
        },
        { id: 'r/conv-00003', failure: { turn: 0, stage: 'user', type: 'LlmError', message: 'timeout' } },
      ],
      failures: {},
      turns: 5,
      calls: 89,
      retried: 0,
      usage: NO_USAGE,
      summary: summary({ outcomes }),
      elapsedSeconds: 10,
      ratePerMinute: 1,
    };
    const lines = printed(() => printStatus('r', status));
    expect(lines).toContain(
      `  waiting: r/conv-00002 turn 2 execute: ToolUnavailable (mcp:bank): ${MCP_DOWN}`,
    );
    expect(lines).toContain('  waiting: r/conv-00003 turn 1 user: LlmError: timeout');
    expect(lines).toContain('  waiting for tool sources: mcp:bank=1 (fix them, then magnet retry)');
    expect(lines).toContain('  calls by outcome: ok 87, tool_error 2; by source: mcp:bank=60 builtin=29');
  });
});

describe('outcomes in report.json and the HTML report', () => {
  function runFolder(): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'magnet-outcomes-'));
    for (const sub of ['conversations', 'filtered', 'failed']) mkdirSync(path.join(dir, sub));
    writeFileSync(path.join(dir, 'conversations', 'conv-00000.json'), JSON.stringify(OLD));
    writeFileSync(path.join(dir, 'conversations', 'conv-00001.json'), JSON.stringify(NEW));
    writeFileSync(
      path.join(dir, 'filtered', 'conv-00002.json'),
      JSON.stringify({
        ...record(2, []),
        grounding: { dropped: [{ turn: 0, cause: 'not_made' }], keptErrorTurns: [] },
      }),
    );
    const failure = {
      id: 'r/conv-00003',
      index: 3,
      turn: 0,
      stage: 'execute',
      type: 'ToolUnavailable',
      message: HTTP_DOWN,
    };
    writeFileSync(path.join(dir, 'failed', 'conv-00003.json'), JSON.stringify(failure));
    writeFileSync(path.join(dir, 'failed', 'conv-00004.json'), '{"torn'); // a crash left it half-written
    return dir;
  }

  it('counts from the files when report.json is of an earlier release (no outcomes)', async () => {
    const dir = runFolder();
    writeFileSync(
      path.join(dir, 'report.json'),
      JSON.stringify({
        runId: 'r',
        conversations: 2,
        failed: 1,
        turns: 6,
        calls: 7,
        failedCalls: 2,
        backend: 'llm',
      }),
    );
    const d = await readReportData(dir);
    expect(d.summary?.outcomes).toBeUndefined();
    expect(d.realised.outcomes.calls).toEqual({ ok: 4, tool_error: 2 });
    expect(d.realised.outcomes.droppedTurns).toEqual({ tool_error: 1, not_made: 2, depends: 2 });
    expect(d.realised.outcomes.infrastructure).toEqual({ 'openapi:pets': 1 });
    const html = renderReport(d);
    expect(html).toContain('calls by source (executor)');
    expect(html).toContain('<td>openapi:pets</td><td>1</td>');
    expect(html).toContain('<td>dropped: not_made</td><td>2</td>');
  });

  it('shows report.json outcomes when there are some, and reads a malformed part as absent', async () => {
    const dir = runFolder();
    const base = {
      runId: 'r',
      conversations: 2,
      failed: 1,
      turns: 6,
      calls: 7,
      failedCalls: 2,
      backend: 'llm',
    };
    writeFileSync(
      path.join(dir, 'report.json'),
      JSON.stringify({
        ...base,
        outcomes: { calls: { ok: 41, tool_error: 1 }, infrastructure: { 'mcp:x': 9 } },
      }),
    );
    const d = await readReportData(dir);
    expect(d.summary?.outcomes?.calls).toEqual({ ok: 41, tool_error: 1 });
    expect(renderReport(d)).toContain('<td>mcp:x</td><td>9</td>');
    writeFileSync(path.join(dir, 'report.json'), JSON.stringify({ ...base, outcomes: { calls: 'many' } }));
    const bad = await readReportData(dir);
    expect(bad.summary?.runId).toBe('r');
    expect(bad.summary?.outcomes).toBeUndefined();
  });

  it('writes outcomes into report.json at export', async () => {
    const { dir, pool } = await syntheticRun(3);
    mkdirSync(path.join(dir, 'filtered'));
    mkdirSync(path.join(dir, 'failed'));
    writeFileSync(
      path.join(dir, 'filtered', 'conv-00009.json'),
      JSON.stringify({
        ...record(9, []),
        grounding: { dropped: [{ turn: 0, cause: 'tool_error' }], keptErrorTurns: [] },
      }),
    );
    const failure = {
      id: 'syn/conv-00010',
      index: 10,
      turn: 0,
      stage: 'execute',
      type: 'ToolUnavailable',
      message: MCP_DOWN,
    };
    writeFileSync(path.join(dir, 'failed', 'conv-00010.json'), JSON.stringify(failure));
    const storeDir = path.join(dir, 'store');
    const poolRef = await putJson(storeDir, { functions: [...pool.values()] });
    const summary = (await new MockActivityEnvironment().run(exportRunActivity, {
      runId: 'syn',
      outDir: dir,
      storeDir,
      poolRef,
      failed: 1,
      failures: { ToolUnavailable: 1 },
      usage: NO_USAGE,
    })) as RunSummary;
    const o = summary.outcomes;
    expect(o).toBeDefined();
    expect((o?.calls.ok ?? 0) + (o?.calls.tool_error ?? 0)).toBe(summary.calls);
    expect(Object.values(o?.callsBySource ?? {}).reduce((a, b) => a + b, 0)).toBe(summary.calls);
    expect(o?.droppedTurns.tool_error).toBeGreaterThanOrEqual(1);
    expect(o?.infrastructure).toEqual({ 'mcp:bank': 1 });
    const written = JSON.parse(readFileSync(path.join(dir, 'report.json'), 'utf8')) as RunSummary;
    expect(written.outcomes).toEqual(o);
  });
});
