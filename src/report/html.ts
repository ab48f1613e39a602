import { callSteps, type ConversationRecord } from '../core/conversation';
import { opRates, type OpRate } from '../core/op-rates';
import { OpsConfig } from '../core/ops';
import type { GraphFile, ReportData, Summary, UsageRow } from './data';

/**
 * The run's report as one HTML page that needs nothing else: charts are inline SVG drawn here (no chart
 * library, so nothing to fetch or inline), the style is inline, and there is no script. Every text that
 * comes from a record, a model or a file goes through `esc`: LLM output may contain markup.
 */

export function esc(value: unknown): string {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const usd = (n: number): string => `$${n < 1 ? n.toFixed(4) : n.toFixed(2)}`;
const pct = (n: number): string => `${(n * 100).toFixed(1)}%`;

const COLORS = ['#3b6fb6', '#e08a2e', '#4a9a5b', '#b04a4a', '#7a5cae'];

interface Series {
  name: string;
  /** Value per category. */
  values: Record<string, number>;
}

/**
 * A grouped bar chart as inline SVG: one group per category, one bar per series. Values are drawn as
 * given; `format` labels them (counts or shares).
 */
export function barChart(opts: {
  id: string;
  title: string;
  categories: string[];
  series: Series[];
  format?: (n: number) => string;
  /** A line under the chart (why it shows one bar where two were expected). */
  note?: string;
}): string {
  const { categories, series } = opts;
  const format = opts.format ?? int;
  const max = Math.max(0, ...series.flatMap((s) => categories.map((c) => s.values[c] ?? 0)));
  const group = Math.max(34, series.length * 20 + 12);
  const left = 56;
  const top = 24;
  const height = 180;
  // room below the bars for the slanted category labels, by the longest one (12 px text at -35 degrees)
  const below = Math.min(140, 30 + Math.max(0, ...categories.map((c) => c.length)) * 4);
  const width = left + categories.length * group + 20;
  const bar = (group - 10) / Math.max(1, series.length);
  const y = (v: number): number => top + height - (max > 0 ? (v / max) * height : 0);
  const parts: string[] = [];
  parts.push(
    `<svg class="chart" id="${esc(opts.id)}" role="img" aria-label="${esc(opts.title)}" width="${width}" height="${top + height + below}" viewBox="0 0 ${width} ${top + height + below}" xmlns="http://www.w3.org/2000/svg">`,
  );
  parts.push(`<title>${esc(opts.title)}</title>`);
  for (const frac of [0, 0.5, 1]) {
    const v = max * frac;
    parts.push(
      `<line x1="${left}" x2="${width - 10}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/><text x="${left - 4}" y="${y(v) + 4}" text-anchor="end" class="axis">${esc(format(v))}</text>`,
    );
  }
  categories.forEach((c, i) => {
    const x0 = left + i * group + 5;
    series.forEach((s, k) => {
      const v = s.values[c] ?? 0;
      const yy = y(v);
      parts.push(
        `<rect x="${(x0 + k * bar).toFixed(1)}" y="${yy.toFixed(1)}" width="${Math.max(1, bar - 2).toFixed(1)}" height="${(top + height - yy).toFixed(1)}" fill="${COLORS[k % COLORS.length]}"><title>${esc(`${s.name} · ${c}: ${format(v)}`)}</title></rect>`,
      );
    });
    parts.push(
      `<text x="${x0 + (group - 10) / 2}" y="${top + height + 14}" text-anchor="end" transform="rotate(-35 ${x0 + (group - 10) / 2} ${top + height + 14})" class="axis">${esc(c)}</text>`,
    );
  });
  parts.push('</svg>');
  const legend = series
    .map(
      (s, k) =>
        `<span class="key"><span class="swatch" style="background:${COLORS[k % COLORS.length]}"></span>${esc(s.name)}</span>`,
    )
    .join(' ');
  const note = opts.note ? `<div class="note">${esc(opts.note)}</div>` : '';
  return `<figure>${parts.join('')}<figcaption>${esc(opts.title)} ${legend}${note}</figcaption></figure>`;
}

/** Within this many share points, a realised bar is the planned one: a second bar would say nothing. */
const SAME = 0.005;

/**
 * The realised series against the planned one, or one bar and a note when they agree on every category (an
 * offline run realises its plan exactly: two equal bars side by side read as a rendering fault).
 */
export function againstPlan(
  realised: Record<string, number>,
  planned: Record<string, number> | undefined,
): { series: Series[]; note?: string } {
  if (!planned) return { series: [{ name: 'realised', values: realised }] };
  const keys = new Set([...Object.keys(realised), ...Object.keys(planned)]);
  const same = [...keys].every((k) => Math.abs((realised[k] ?? 0) - (planned[k] ?? 0)) <= SAME);
  if (same)
    return {
      series: [{ name: 'realised = planned', values: realised }],
      note: 'realised as planned: every bar within half a point of the plan, so one bar each',
    };
  return {
    series: [
      { name: 'realised', values: realised },
      { name: 'planned', values: planned },
    ],
  };
}

function table(head: string[], rows: (string | number)[][], cls = ''): string {
  if (rows.length === 0) rows = [[`<span class="muted">none</span>`, ...head.slice(1).map(() => '')]];
  return `<table class="${cls}"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${typeof c === 'number' ? esc(int(c)) : c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

/** Shares of a histogram (counts by key). */
function shares(counts: Record<string, number>): Record<string, number> {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, total > 0 ? v / total : 0]));
}

function numericKeys(...maps: (Record<string, number> | undefined)[]): string[] {
  const keys = new Set(maps.flatMap((m) => Object.keys(m ?? {})));
  const nums = [...keys].map(Number).filter((n) => Number.isFinite(n));
  if (nums.length === 0) return [];
  const out: string[] = [];
  for (let n = Math.min(...nums); n <= Math.max(...nums); n++) out.push(String(n));
  return out;
}

/** The Temporal UI page of a workflow. */
export function workflowLink(ui: string | undefined, namespace: string, id: string): string | undefined {
  if (!ui) return undefined;
  return `${ui.replace(/\/$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(id)}`;
}

/** A value as compact JSON, cut at `max` characters (a tool may return a whole file). */
function json(value: unknown, max = 1500): string {
  const text = JSON.stringify(value) ?? 'null';
  return esc(text.length > max ? `${text.slice(0, max)} … (${text.length} characters)` : text);
}

/** One conversation as a chat: per turn its labels, the user, the assistant's words, calls and results. */
function chat(r: ConversationRecord, link: string | undefined, open: boolean): string {
  const turns = r.turns.map((t) => {
    const labels = t.labels.map((l) => `<span class="label">${esc(l)}</span>`).join(' ');
    // the assistant's words for each step come before that step's calls (calls of a step run together)
    const callHtml = (c: ConversationRecord['turns'][number]['calls'][number]): string =>
      `<div class="msg call"><div class="who">tool call · ${esc(c.name)} <span class="exec">${esc(c.executor)}</span></div><pre>${json(c.arguments)}</pre></div>` +
      `<div class="msg tool${c.error ? ' error' : ''}"><div class="who">result${c.error ? ' (error)' : ''}</div><pre>${c.error ? esc(c.error) : json(c.output)}</pre></div>`;
    const groups = callSteps(t.calls);
    const body = groups.map((g, i) => {
      const said = t.assistant.steps[i]?.trim();
      return `${said ? `<div class="msg assistant">${esc(said)}</div>` : ''}${g.map(callHtml).join('')}`;
    });
    // words for steps the calls do not have (a model may write more) are still shown
    const extra = t.assistant.steps
      .slice(groups.length)
      .filter((x) => x.trim())
      .map((x) => `<div class="msg assistant">${esc(x)}</div>`);
    return (
      `<div class="turn"><div class="turnhead">turn ${t.index + 1} ${labels}${t.missing ? ` <span class="missing">${esc(t.missing.kind)}: ${esc(t.missing.function)}${t.missing.param ? `.${esc(t.missing.param)}` : ''}</span>` : ''}</div>` +
      `<div class="msg user"><div class="who">user</div>${esc(t.query)}</div>` +
      body.join('') +
      extra.join('') +
      `<div class="msg assistant"><div class="who">assistant</div>${esc(t.assistant.final)}</div>` +
      (t.negatives.length
        ? `<div class="neg">${t.negatives.length} rejected version(s) for mDPO: ${esc(t.negatives.flatMap((n) => n.errors.map((e) => e.type)).join(', '))}</div>`
        : '') +
      '</div>'
    );
  });
  const title = link ? `<a href="${esc(link)}">${esc(r.id)}</a>` : esc(r.id);
  return `<details class="conv"${open ? ' open' : ''}><summary>${title} · ${r.turns.length} turns, ${r.stats.calls} calls · tools: ${esc(r.tools.join(', '))}</summary>${turns.join('')}</details>`;
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1100px;padding:16px 24px;color:#222}
h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}
th{background:#f4f4f4}.muted{color:#777}.charts{display:flex;flex-wrap:wrap;gap:16px}
figure{margin:0}figcaption{font-size:13px;color:#333}.axis{font-size:12px;fill:#444}
.verdict{border:1px solid #ccd;border-left:6px solid #4a9a5b;border-radius:6px;padding:8px 14px;margin:12px 0}.verdict.warn{border-left-color:#e08a2e}.verdict.bad{border-left-color:#b04a4a}
.verdict .big{font-size:20px;font-weight:600}.verdict ul{margin:6px 0;padding-left:18px}.note{font-size:12px;color:#555}
.key{margin-left:8px;white-space:nowrap}.swatch{display:inline-block;width:10px;height:10px;margin-right:3px}
.conv{border:1px solid #ddd;border-radius:6px;margin:10px 0;padding:6px 10px}.conv summary{cursor:pointer;font-weight:600}
.turn{margin:8px 0;padding-left:8px;border-left:3px solid #ccd}.turnhead{font-size:12px;color:#555;margin:4px 0}
.label{background:#eef;border-radius:3px;padding:0 4px;font-size:11px}.missing{color:#a55}
.msg{margin:4px 0;padding:6px 10px;border-radius:8px;max-width:85%;white-space:pre-wrap}
.user{background:#e8f0fe}.assistant{background:#f1f1f1}.call{background:#fff7e6}.tool{background:#eef8ee}.error{background:#fdecea}
.who{font-size:11px;color:#666}.exec{color:#999}pre{margin:2px 0;white-space:pre-wrap;word-break:break-word;font-size:12px}
.neg{font-size:12px;color:#a55}
`;

/**
 * Where the page links a workflow: the Temporal UI's address and namespace (each section that links
 * conversations takes it, so the choice between the caller's and the run's is made once).
 */
interface UiLinks {
  ui: string | undefined;
  ns: string;
}

/** The page; `links` says where the Temporal UI is (default: what the run recorded when it started). */
export function renderReport(d: ReportData, links: { ui?: string; namespace?: string } = {}): string {
  const at: UiLinks = {
    ns: links.namespace ?? d.info?.namespace ?? 'default',
    ui: links.ui ?? d.info?.ui,
  };
  // each section is a list of blocks, one per line of the page: the sections read as the page does
  return [
    ...pageHead(d, at),
    ...verdictSection(d),
    ...conversationsSection(d),
    ...shapeSection(d),
    ...opsSection(d),
    ...failuresSection(d, at),
    ...usageSection(d),
    ...graphSection(d.graph),
    ...samplesSection(d, at),
    '</body></html>',
  ].join('\n');
}

/** The document's head, the run's title and what the page cannot show (no report.json, unreadable records). */
function pageHead(d: ReportData, at: UiLinks): string[] {
  const s = d.summary;
  const parts: string[] = [];
  parts.push(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
      `<title>magnet report · ${esc(d.runId)}</title><style>${STYLE}</style></head><body>`,
  );
  const runLink = workflowLink(at.ui, at.ns, d.runId);
  parts.push(
    `<h1>magnet run ${runLink ? `<a href="${esc(runLink)}">${esc(d.runId)}</a>` : esc(d.runId)}</h1>` +
      `<p class="muted">${esc(d.dir)}${d.info ? ` · started ${esc(d.info.startedAt)}` : ''}${s ? ` · backend ${esc(s.backend)}` : ''}</p>`,
  );
  if (!s)
    parts.push(
      '<p class="muted">No report.json: the run has not exported yet; figures come from the files present.</p>',
    );
  if (d.unreadable.length)
    parts.push(
      `<p class="error">${d.unreadable.length} record(s) unreadable: ${d.unreadable
        .slice(0, 5)
        .map((u) => `${esc(u.file)} (${esc(u.problem)})`)
        .join('; ')}</p>`,
    );
  return parts;
}

/**
 * 0. The verdict, first on the page: how the run ended, what data it wrote, what it cost and how its calls
 * went. The sections below are the details a reader goes to only when this says something is off.
 */
function verdictSection(d: ReportData): string[] {
  const s = d.summary;
  const r = d.realised;
  const planned = d.info?.conversations ?? d.estimate?.conversations;
  const of = planned !== undefined ? ` of ${int(planned)} planned` : '';
  const [word, cls] = !s
    ? ['not finished (no report.json yet)', 'warn']
    : s.stopped
      ? ['stopped (magnet stop)', 'warn']
      : s.failed > 0 && r.conversations === 0
        ? ['failed', 'bad']
        : s.failed > 0
          ? ['completed with failures', 'warn']
          : ['completed', 'ok'];
  const failed = s?.failed ?? d.failures.length;
  const paid = d.usage.reduce((a, u) => a + u.costUsd, 0);
  const requests = d.usage.reduce((a, u) => a + u.requests, 0);
  const o = s?.outcomes ?? r.outcomes;
  const calls = Object.entries(o.calls)
    .map(([k, v]) => `${int(v)} ${k}`)
    .join(', ');
  const exported = s?.files?.exports?.length;
  const items = [
    `data: ${int(r.conversations)} conversation record(s), ${int(r.totalTurns)} turns; ${int(s?.dpoPairs ?? 0)} DPO pair(s)${exported ? `; ${int(exported)} export file(s)` : ''}${s?.backend === 'offline' || (!s && r.conversations > 0 && d.usage.length === 0) ? ' · offline backend: placeholder text, not training data' : ''}`,
    `cost: ${usd(paid)} paid for ${int(requests)} request(s)${d.estimate ? ` (estimated ${usd(d.estimate.total.costUsd)})` : ''}`,
    `calls by outcome: ${calls || 'none'}`,
    failed > 0
      ? `failures: ${int(failed)} conversation(s) failed${
          s?.failures
            ? ` (${Object.entries(s.failures)
                .map(([k, v]) => `${k} ${int(v)}`)
                .join(', ')})`
            : ''
        }: see Failures below`
      : 'failures: none',
    ...(s?.stopped
      ? [`stopped: ${int(s.stopped.notStarted)} never started, ${int(s.stopped.waiting)} left waiting`]
      : []),
  ];
  return [
    `<section id="verdict" class="verdict ${cls}"><div class="big">${esc(word)} · ${esc(int(r.conversations))} conversation(s) written${esc(of)}</div>` +
      `<ul>${items.map((i) => `<li>${esc(i)}</li>`).join('')}</ul></section>`,
  ];
}

/** 1. Conversations by status (against the plan) and by kind. */
function conversationsSection(d: ReportData): string[] {
  const s = d.summary;
  const r = d.realised;
  const status: Record<string, number> = {
    completed: r.conversations,
    failed: s?.failed ?? d.failures.length,
    ...(s?.stopped
      ? { 'not started (stopped)': s.stopped.notStarted, 'left waiting': s.stopped.waiting }
      : {}),
  };
  const planned = d.info?.conversations ?? d.estimate?.conversations;
  return [
    '<h2 id="status">Conversations</h2>',
    table(
      ['status', 'conversations'],
      [
        ...Object.entries(status).map(([k, v]) => [esc(k), v]),
        ...(planned !== undefined ? [[esc('planned'), planned]] : []),
      ],
    ) +
      `<p>by kind: ${
        Object.entries(r.kinds)
          .map(([k, v]) => `${esc(k)} ${int(v)}`)
          .join(', ') || 'none'
      }; turns ${int(r.totalTurns)}, calls ${int(Object.entries(r.calls).reduce((a, [k, v]) => a + Number(k) * v, 0))}, mDPO rejected turns ${int(r.negatives)}</p>`,
  ];
}

/** 2. Turns and calls per conversation, realised against planned. */
function shapeSection(d: ReportData): string[] {
  const e = d.estimate;
  const r = d.realised;
  const turns = againstPlan(shares(r.turns), e?.plan?.turns);
  const calls = againstPlan(shares(r.calls), e?.plan?.calls);
  return [
    '<h2 id="shape">Turns and calls per conversation</h2>',
    `<p class="muted">Realised (the records) against the plan: the config's walk (${d.info ? `walkLength ${d.info.ops.walkLength}, minWalkLength ${d.info.ops.minWalkLength}` : 'settings unknown'}) and Merge/Insert/Split, the shape MAGNET's method gives, as the estimate planned it${e?.plan ? '' : ' (no estimate stored for this run: planned shape not shown)'}. Shares of conversations.</p>`,
    `<div class="charts">${barChart({ id: 'turns-chart', title: 'turns per conversation', categories: numericKeys(r.turns, e?.plan?.turns), ...turns, format: pct })}${barChart({ id: 'calls-chart', title: 'calls per conversation', categories: numericKeys(r.calls, e?.plan?.calls), ...calls, format: pct })}</div>`,
  ];
}

/** 3. Turn labels and operation rates, planned against realised. */
function opsSection(d: ReportData): string[] {
  return ['<h2 id="ops">Operations and turn labels</h2>', labelsChart(d), opRatesTable(d)];
}

function labelsChart(d: ReportData): string {
  const e = d.estimate;
  const r = d.realised;
  const labelShares = Object.fromEntries(
    Object.entries(r.labels).map(([k, v]) => [k, r.totalTurns > 0 ? v / r.totalTurns : 0]),
  );
  const labelKeys = [...new Set([...Object.keys(labelShares), ...Object.keys(e?.plan?.labels ?? {})])].sort();
  const labels = againstPlan(labelShares, e?.plan?.labels);
  return `<div class="charts">${barChart({ id: 'labels-chart', title: 'turn labels (share of turns)', categories: labelKeys, ...labels, format: pct })}</div>`;
}

const OP_NAMES: Record<OpRate['op'], string> = {
  merge: 'Merge',
  insert_long_share: 'Insert (long share)',
  split: 'Split',
  split_miss_func_share: 'Split: miss_func share',
  provide_func_share: 'Split: miss_func provided later',
};

function opRatesTable(d: ReportData): string {
  const t = d.realised.trace;
  const ops = d.info?.ops;
  // the rates come from the run's own trace sums; without the run's config the planned column stays empty
  const rates = opRates(t, ops ?? OpsConfig.parse({}));
  return (
    table(
      ['operation', 'config probability', 'realised', 'of'],
      rates.map((o) => [
        esc(OP_NAMES[o.op]),
        ops ? esc(pct(o.planned)) : '-',
        o.realised === undefined ? '-' : esc(pct(o.realised)),
        esc(
          `${int(o.basis)} ${o.of}${o.unapplied ? `; ${int(o.unapplied.count)} not applied as drawn (${o.unapplied.why})` : ''}`,
        ),
      ]),
    ) +
    `<p class="muted">Insert probability ${ops ? esc(pct(ops.insertProb)) : '-'} applies to turns whose last function has a nested neighbour; realised: ${int(t.insertsShort)} short and ${int(t.insertsLong)} long inserts.</p>`
  );
}

/** 4. Failed conversations, failure records, erring calls, and the turns the quality filter dropped. */
function failuresSection(d: ReportData, at: UiLinks): string[] {
  const { byType, byStage } = failureCounts(d);
  const parts = [
    '<h2 id="failures">Failures and drops</h2>',
    table(
      ['failed conversations by reason', 'count'],
      Object.entries(byType).map(([k, v]) => [esc(k), v]),
    ) +
      table(
        ['failure records by stage', 'count'],
        Object.entries(byStage).map(([k, v]) => [esc(k), v]),
      ) +
      table(
        ['calls that returned an error, by function', 'count'],
        Object.entries(d.realised.callErrors)
          .sort((a, b) => b[1] - a[1])
          .slice(0, 15)
          .map(([k, v]) => [esc(k), v]),
      ) +
      outcomesTables(d) +
      failureList(d, at) +
      '<p class="muted">Answers that failed their checks were repaired once (a second paid request) or failed the step; a failed step is a failure record above.</p>',
  ];
  return [...parts, ...dropNotes(d.summary)];
}

/**
 * Calls by outcome and source, regenerated, kept and dropped turns, and conversations that failed for an
 * unavailable tool source: report.json's, or counted from the files present when it has none (earlier releases).
 */
function outcomesTables(d: ReportData): string {
  const o = d.summary?.outcomes ?? d.realised.outcomes;
  const rows = (m: Record<string, number>): (string | number)[][] =>
    Object.entries(m)
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([k, v]) => [esc(k), v]);
  return (
    table(['calls by outcome', 'count'], rows(o.calls)) +
    table(['calls by source (executor)', 'count'], rows(o.callsBySource)) +
    table(
      ['turns', 'count'],
      [
        ['regenerated (written again after failed calls)', o.regeneratedTurns],
        ['regenerations in all', o.regenerations],
        ['kept with tool errors (labelled tool_error)', o.keptErrorTurns],
        ...Object.entries(o.droppedTurns).map(([k, v]) => [esc(`dropped: ${k}`), v]),
      ],
    ) +
    table(['conversations failed or waiting for an unavailable tool source', 'count'], rows(o.infrastructure))
  );
}

/** Failed conversations by reason (the summary's; counted from the records when there is none) and by stage. */
function failureCounts(d: ReportData): { byType: Record<string, number>; byStage: Record<string, number> } {
  const s = d.summary;
  const byType: Record<string, number> = { ...(s?.failures ?? {}) };
  if (!s) for (const f of d.failures) byType[f.type] = (byType[f.type] ?? 0) + 1;
  const byStage: Record<string, number> = {};
  for (const f of d.failures) byStage[f.stage ?? 'unknown'] = (byStage[f.stage ?? 'unknown'] ?? 0) + 1;
  return { byType, byStage };
}

/** The first failure records, each linked to its workflow. */
function failureList(d: ReportData, at: UiLinks): string {
  if (!d.failures.length) return '<p class="muted">No failure records.</p>';
  return `<ul>${d.failures
    .slice(0, 20)
    .map((f) => {
      const link = f.id ? workflowLink(at.ui, at.ns, f.id) : undefined;
      const name = esc(f.id ?? `conversation ${f.index ?? '?'}`);
      return `<li>${link ? `<a href="${esc(link)}">${name}</a>` : name}: turn ${(f.turn ?? 0) + 1} ${esc(f.stage ?? '')} · ${esc(f.type)}: ${esc(f.message)}</li>`;
    })
    .join('')}</ul>`;
}

/** What the quality filter and the duplicate check took out (only summaries of runs that had them). */
function dropNotes(s: Summary | undefined): string[] {
  const parts: string[] = [];
  if (s?.quality)
    parts.push(
      table(
        ['turns removed by the quality filter, by cause', 'count'],
        Object.entries(s.quality.dropped).map(([k, v]) => [esc(k), v]),
      ) +
        `<p class="muted">${int(s.quality.judged)} turns judged, ${int(s.quality.turnsDropped)} removed; ${int(s.quality.conversationsFiltered)} conversations left with no turn (not exported).</p>`,
    );
  if (s?.duplicates)
    parts.push(
      `<p class="muted">Repeated queries (${esc(s.duplicates.method)}): ${int(s.duplicates.turns)} turns${s.duplicates.applied ? `, left out of the exports with ${int(s.duplicates.dependents)} turns depending on them and ${int(s.duplicates.conversations)} whole conversations` : ' (counted, kept: quality.dedup is off)'}.</p>`,
    );
  return parts;
}

/** 5. Tokens and cost by role and model, with the estimate beside. */
function usageSection(d: ReportData): string[] {
  const e = d.estimate;
  const rows = usageRows(d);
  const sum = (k: keyof Omit<UsageRow, 'role' | 'model'>): number => d.usage.reduce((a, u) => a + u[k], 0);
  const parts = [
    '<h2 id="usage">Tokens and cost by role and model</h2>',
    rows.length
      ? table(
          [
            'role',
            'model',
            'requests',
            'input tokens',
            'cached input tokens',
            'output tokens',
            'reasoning tokens',
            'cost',
            'cached input cost',
          ],
          rows,
        ) +
        `<p>paid ${esc(usd(sum('costUsd')))}${e ? ` · estimated ${esc(usd(e.total.costUsd))} before the run` : ' · no estimate stored for this run'}</p>` +
        cacheNote(
          sum('inputTokens'),
          sum('cachedInputTokens'),
          sum('cachedInputCostUsd'),
          sum('cacheSavedUsd'),
        ) +
        (sum('reasoningTokens') > 0
          ? `<p class="muted">${esc(int(sum('reasoningTokens')))} of the ${esc(int(sum('outputTokens')))} output tokens were spent reasoning (paid as output, never shown).</p>`
          : '')
      : '<p class="muted">No paid LLM requests (offline backend).</p>',
  ];
  if (d.usage.length) parts.push(tokensChart(d.usage, e));
  return parts;
}

/** What the provider's prompt cache served, what it cost and what it saved. */
function cacheNote(input: number, cached: number, cost: number, saved: number): string {
  if (cached <= 0)
    return '<p class="muted">No input tokens served from the provider\'s prompt cache (or the provider does not report them).</p>';
  return `<p id="prompt-cache">prompt cache: ${esc(int(cached))} of ${esc(int(input))} input tokens (${esc(pct(cached / Math.max(1, input)))}) served from the provider's cache, paid ${esc(usd(cost))} at the cached input price, ${esc(usd(saved))} less than at the full input price (<code>llm.prices.&lt;model&gt;.cachedInput</code>).</p>`;
}

/** A figure with the estimate's figure beside it, when there is one. */
function beside(a: number, x: number | undefined, f: (n: number) => string = int): string {
  return `${esc(f(a))}${x !== undefined ? ` <span class="muted">(est. ${esc(f(x))})</span>` : ''}`;
}

/** One row per role and model paid for, then the estimate's roles that made no request (shown at 0). */
function usageRows(d: ReportData): string[][] {
  const est = new Map((d.estimate?.roles ?? []).map((x) => [x.role, x]));
  const rows = d.usage.map((u: UsageRow) => {
    const x = est.get(u.role);
    return [
      esc(u.role),
      esc(u.model),
      beside(u.requests, x?.requests),
      beside(u.inputTokens, x?.inputTokens),
      beside(u.cachedInputTokens, x?.cachedInputTokens),
      beside(u.outputTokens, x?.outputTokens),
      esc(int(u.reasoningTokens)),
      beside(u.costUsd, x?.costUsd, usd),
      u.cachedInputTokens > 0
        ? `${esc(usd(u.cachedInputCostUsd))} <span class="muted">(saved ${esc(usd(u.cacheSavedUsd))})</span>`
        : esc(usd(0)),
    ];
  });
  for (const x of d.estimate?.roles ?? [])
    if (!d.usage.some((u) => u.role === x.role))
      rows.push([
        esc(x.role),
        esc(`${x.provider}/${x.model}`),
        beside(0, x.requests),
        beside(0, x.inputTokens),
        beside(0, x.cachedInputTokens),
        beside(0, x.outputTokens),
        esc(int(0)),
        beside(0, x.costUsd, usd),
        esc(usd(0)),
      ]);
  return rows;
}

function tokensChart(usage: readonly UsageRow[], e: ReportData['estimate']): string {
  const roles = [...new Set(usage.map((u) => u.role))];
  const actualTok: Record<string, number> = {};
  for (const u of usage) actualTok[u.role] = (actualTok[u.role] ?? 0) + u.inputTokens + u.outputTokens;
  const series: Series[] = [{ name: 'actual tokens', values: actualTok }];
  if (e)
    series.push({
      name: 'estimated tokens',
      values: Object.fromEntries(e.roles.map((x) => [x.role, x.inputTokens + x.outputTokens])),
    });
  return `<div class="charts">${barChart({ id: 'usage-chart', title: 'tokens by role', categories: roles, series })}</div>`;
}

/** 6. The graph's size and degree distribution. */
function graphSection(g: GraphFile | undefined): string[] {
  return [
    '<h2 id="graph">Dependency graph</h2>',
    g ? degreeFigure(g) : '<p class="muted">No graph.json in the run folder.</p>',
  ];
}

function degreeFigure(g: GraphFile): string {
  const { ho, hi } = degreeHistograms(g);
  return (
    `<p>${int(g.stats.nodes)} functions, ${int(g.stats.edges)} edges, ${int(g.stats.isolated)} isolated · judge ${esc(g.judge)}</p>` +
    `<div class="charts">${barChart({
      id: 'degree-chart',
      title: 'degree distribution (functions by number of edges)',
      categories: numericKeys(ho, hi),
      series: [
        { name: 'out-degree', values: ho },
        { name: 'in-degree', values: hi },
      ],
    })}</div>`
  );
}

/** Functions by out-degree (`ho`) and by in-degree (`hi`); a function without edges counts at 0. */
function degreeHistograms(g: GraphFile): { ho: Record<string, number>; hi: Record<string, number> } {
  const out: Record<string, number> = {};
  const inn: Record<string, number> = {};
  for (const n of g.nodes) {
    out[n.name] = 0;
    inn[n.name] = 0;
  }
  for (const edge of g.edges) {
    out[edge.from] = (out[edge.from] ?? 0) + 1;
    inn[edge.to] = (inn[edge.to] ?? 0) + 1;
  }
  const hist = (m: Record<string, number>): Record<string, number> => {
    const h: Record<string, number> = {};
    for (const v of Object.values(m)) h[v] = (h[v] ?? 0) + 1;
    return h;
  };
  return { ho: hist(out), hi: hist(inn) };
}

/** 7. The first records as chats, the first two open. */
function samplesSection(d: ReportData, at: UiLinks): string[] {
  const parts = ['<h2 id="samples">Sample conversations</h2>'];
  if (!at.ui) parts.push('<p class="muted">Temporal UI address unknown: conversations are not linked.</p>');
  parts.push(
    d.samples.length
      ? d.samples.map((c, i) => chat(c, workflowLink(at.ui, at.ns, c.id), i < 2)).join('')
      : '<p class="muted">No conversation records.</p>',
  );
  return parts;
}
