import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dpoGroup, KINDS } from '../../src/core/mix';
import { OpsConfig } from '../../src/core/ops';
import { formatDpo } from '../../src/cli/report';
import { readReportData, writeRunInfo } from '../../src/report/data';
import { againstPlan, barChart, esc, renderReport, workflowLink } from '../../src/report/html';
import { writeHtmlReport } from '../../src/cli/html-report';

/** A conversation record whose every text is hostile markup, as an LLM might write it. */
function hostileRecord(runId: string, index: number): object {
  const evil = '<script>alert(1)</script><img src=x onerror=alert(2)>';
  return {
    id: `${runId}/conv-${String(index).padStart(5, '0')}`,
    runId,
    index,
    kind: 'multi_turn',
    fsp: {
      walk: ['f'],
      turns: [{ functions: [{ name: 'f', via: 'walk' }], labels: ['walk'] }],
      trace: { mergeBoundaries: 0, merges: 0, insertsShort: 0, insertsLong: 0, split: 'none' },
    },
    tools: ['f'],
    turns: [
      {
        index: 0,
        labels: ['walk'],
        functions: [{ name: 'f', via: 'walk' }],
        query: evil,
        calls: [
          {
            id: 'call_1_1',
            name: 'f',
            arguments: { q: evil },
            sources: {},
            after: [],
            output: { text: evil },
            executor: 'simulated',
          },
        ],
        assistant: { steps: [evil], final: evil },
        negatives: [],
      },
    ],
    stats: { turns: 1, calls: 1, failedCalls: 0, negatives: 0 },
    provenance: { backend: 'llm', models: {}, seed: 1, generator: 'magnet-llm/1' },
  };
}

describe('HTML report', () => {
  it('escapes every text of the records (LLM output may hold markup)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'magnet-report-'));
    mkdirSync(path.join(dir, 'conversations'));
    writeFileSync(
      path.join(dir, 'conversations', 'conv-00000.json'),
      JSON.stringify(hostileRecord('r"1', 0)),
    );
    const data = await readReportData(dir);
    expect(data.unreadable).toEqual([]);
    expect(data.samples).toHaveLength(1);
    const html = renderReport(data, { ui: 'http://ui:8233', namespace: 'ns' });
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    // the id is quoted inside an attribute: encoded in the URL, escaped in the HTML
    expect(html).toContain(`href="http://ui:8233/namespaces/ns/workflows/r%221%2Fconv-00000"`);
  });

  it('renders a folder with only some files, saying what is missing', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'magnet-report-'));
    mkdirSync(path.join(dir, 'conversations'));
    writeFileSync(path.join(dir, 'conversations', 'conv-00001.json'), '{"not": "a record"}');
    await writeRunInfo(dir, {
      runId: 'partial',
      startedAt: '2026-01-01T00:00:00Z',
      namespace: 'default',
      ops: OpsConfig.parse({}),
      conversations: 3,
      prices: {},
    });
    const file = await writeHtmlReport(dir);
    expect(file).toBe(path.join(dir, 'report.html'));
    const html = renderReport(await readReportData(dir));
    expect(html).toContain('1 record(s) unreadable');
    expect(html).toContain('No report.json');
    expect(html).toContain('No graph.json');
    expect(html).toContain('no estimate stored');
    await expect(writeHtmlReport(path.join(dir, 'nope'))).rejects.toThrow(/no run folder/);
  });

  it('draws bars proportional to the values and links workflows by encoded id', () => {
    const svg = barChart({
      id: 'c',
      title: 't <b>',
      categories: ['a', 'b'],
      series: [{ name: 's', values: { a: 1, b: 2 } }],
    });
    const heights = [...svg.matchAll(/<rect [^>]*height="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(heights).toHaveLength(2);
    expect(heights[1]).toBeCloseTo(2 * (heights[0] as number), 5);
    expect(svg).toContain('t &lt;b&gt;');
    expect(esc(`"'&`)).toBe('&quot;&#39;&amp;');
    expect(workflowLink(undefined, 'default', 'x')).toBeUndefined();
    expect(workflowLink('http://u/', 'default', 'run/conv-00001')).toBe(
      'http://u/namespaces/default/workflows/run%2Fconv-00001',
    );
  });
});

describe('a report that says something (issue 23 item 7)', () => {
  it('the verdict comes first: how the run ended, the data, the cost and the calls by outcome', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'magnet-report-'));
    mkdirSync(path.join(dir, 'conversations'));
    writeFileSync(path.join(dir, 'conversations', 'conv-00000.json'), JSON.stringify(hostileRecord('v', 0)));
    writeFileSync(
      path.join(dir, 'report.json'),
      JSON.stringify({
        runId: 'v',
        conversations: 1,
        failed: 2,
        turns: 1,
        calls: 1,
        failedCalls: 0,
        backend: 'llm',
        failures: { tool_unavailable: 2 },
        dpoPairs: 0,
        outcomes: { calls: { ok: 7, tool_error: 1 } },
        files: { sft: 'sft.openai.jsonl', exports: ['a.jsonl', 'b.jsonl'] },
      }),
    );
    const html = renderReport(await readReportData(dir));
    const verdict = /<section id="verdict" class="verdict warn">(.*?)<\/section>/.exec(html)?.[1] ?? '';
    expect(verdict).toContain('completed with failures · 1 conversation(s) written');
    expect(verdict).toContain('2 export file(s)');
    expect(verdict).toContain('calls by outcome: 7 ok, 1 tool_error');
    expect(verdict).toContain('failures: 2 conversation(s) failed (tool_unavailable 2)');
    expect(verdict).toContain('cost: $0.0000 paid for 0 request(s)');
    expect(html.indexOf('id="verdict"')).toBeLessThan(html.indexOf('<h2 id="status">'));
    // a folder with no report.json yet says the run is not finished
    const bare = mkdtempSync(path.join(os.tmpdir(), 'magnet-report-'));
    mkdirSync(path.join(bare, 'conversations'));
    expect(renderReport(await readReportData(bare))).toContain(
      'class="verdict warn"><div class="big">not finished (no report.json yet)',
    );
  });

  it('planned equal to realised is one bar with a note; a real difference keeps both bars', () => {
    const same = againstPlan({ 2: 0.5, 3: 0.5 }, { 2: 0.502, 3: 0.498 });
    expect(same.series.map((x) => x.name)).toEqual(['realised = planned']);
    expect(same.note).toMatch(/realised as planned/);
    const svg = barChart({ id: 'x', title: 'turns', categories: ['2', '3'], ...same });
    expect([...svg.matchAll(/<rect /g)]).toHaveLength(2);
    expect(svg).toContain('realised as planned');
    const apart = againstPlan({ 2: 0.5, 3: 0.5 }, { 2: 0.4, 3: 0.6 });
    expect(apart.series.map((x) => x.name)).toEqual(['realised', 'planned']);
    expect(apart.note).toBeUndefined();
    expect(againstPlan({ 2: 1 }, undefined).series.map((x) => x.name)).toEqual(['realised']);
  });
});

describe('DPO pairs by group', () => {
  it('groups kinds as the paper does and shows each share next to the paper share', () => {
    expect(KINDS.map(dpoGroup)).toEqual([
      'single_turn',
      'single_turn',
      'single_turn',
      'multi_turn',
      'irrelevance',
    ]);
    expect(formatDpo({ single_turn: 1, multi_turn: 2, irrelevance: 1 })).toBe(
      'single_turn 1 (25%; paper 34%), multi_turn 2 (50%; paper 49%), irrelevance 1 (25%; paper 16%)',
    );
    expect(formatDpo({ multi_turn: 3 })).toBe(
      'single_turn 0 (0%; paper 34%), multi_turn 3 (100%; paper 49%), irrelevance 0 (0%; paper 16%)',
    );
  });
});
