import type { ConversationRecord } from '../core/conversation';
import type { FunctionDef } from '../core/pool';
import { toOpenAIChat } from './openai';

/**
 * Rows of the `hf` folder (`datasets.load_dataset(folder)`). Arrow needs one type per column, so what varies
 * between rows (tool-call arguments, tool schemas, the models map) is JSON text; the card's YAML states
 * every column's type so no split's inference can disagree with another's.
 */
export interface HfMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string | null;
  tool_calls: { id: string; type: 'function'; function: { name: string; arguments: string } }[];
  tool_call_id: string | null;
}

export interface HfRow {
  id: string;
  run_id: string;
  index: number;
  /** The item's kind in the mix: single, parallel, multiple, multi_turn or irrelevance. */
  kind: string;
  messages: HfMessage[];
  /** JSON text of the OpenAI `tools` list. */
  tools: string;
  parallel_tool_calls: boolean;
  /** Per turn, its MAGNET labels (walk, merge, insert_short, ...). */
  labels: string[][];
  num_turns: number;
  num_calls: number;
  num_failed_calls: number;
  /** "offline" rows are rule-based placeholders, not training data. */
  backend: string;
  generator: string;
  /** JSON text: role -> model. */
  models: string;
  seed: number;
  note: string | null;
}

export interface HfDpoRow {
  id: string;
  turn: number;
  prompt: HfMessage[];
  chosen: HfMessage[];
  rejected: HfMessage[];
  tools: string;
  errors: string[];
  backend: string;
}

type ChatMessage = ReturnType<typeof toOpenAIChat>['messages'][number];

export function toHfMessage(m: ChatMessage): HfMessage {
  return {
    role: m.role,
    content: m.content,
    tool_calls: m.role === 'assistant' ? (m.tool_calls ?? []) : [],
    tool_call_id: m.role === 'tool' ? m.tool_call_id : null,
  };
}

export function toHfRow(rec: ConversationRecord, pool: ReadonlyMap<string, FunctionDef>): HfRow {
  const chat = toOpenAIChat(rec, pool);
  return {
    id: rec.id,
    run_id: rec.runId,
    index: rec.index,
    kind: rec.kind,
    messages: chat.messages.map(toHfMessage),
    tools: JSON.stringify(chat.tools),
    parallel_tool_calls: chat.parallel_tool_calls,
    labels: rec.turns.map((t) => t.labels),
    num_turns: rec.stats.turns,
    num_calls: rec.stats.calls,
    num_failed_calls: rec.stats.failedCalls,
    backend: rec.provenance.backend,
    generator: rec.provenance.generator,
    models: JSON.stringify(rec.provenance.models),
    seed: rec.provenance.seed,
    note: rec.provenance.note ?? null,
  };
}

const MESSAGES_YAML = (name: string, indent: string): string =>
  [
    `- name: ${name}`,
    '  list:',
    '  - name: role',
    '    dtype: string',
    '  - name: content',
    '    dtype: string',
    '  - name: tool_calls',
    '    list:',
    '    - name: id',
    '      dtype: string',
    '    - name: type',
    '      dtype: string',
    '    - name: function',
    '      struct:',
    '      - name: name',
    '        dtype: string',
    '      - name: arguments',
    '        dtype: string',
    '  - name: tool_call_id',
    '    dtype: string',
  ]
    .map((l) => indent + l)
    .join('\n');

const scalar = (name: string, dtype: string, indent: string): string =>
  `${indent}- name: ${name}\n${indent}  dtype: ${dtype}`;

/** The `features` YAML of the SFT config (the order of HfRow). */
export function sftFeaturesYaml(indent: string): string {
  return [
    scalar('id', 'string', indent),
    scalar('run_id', 'string', indent),
    scalar('index', 'int64', indent),
    scalar('kind', 'string', indent),
    MESSAGES_YAML('messages', indent),
    scalar('tools', 'string', indent),
    scalar('parallel_tool_calls', 'bool', indent),
    `${indent}- name: labels\n${indent}  sequence:\n${indent}    sequence: string`,
    scalar('num_turns', 'int64', indent),
    scalar('num_calls', 'int64', indent),
    scalar('num_failed_calls', 'int64', indent),
    scalar('backend', 'string', indent),
    scalar('generator', 'string', indent),
    scalar('models', 'string', indent),
    scalar('seed', 'int64', indent),
    scalar('note', 'string', indent),
  ].join('\n');
}

export function dpoFeaturesYaml(indent: string): string {
  return [
    scalar('id', 'string', indent),
    scalar('turn', 'int64', indent),
    MESSAGES_YAML('prompt', indent),
    MESSAGES_YAML('chosen', indent),
    MESSAGES_YAML('rejected', indent),
    scalar('tools', 'string', indent),
    `${indent}- name: errors\n${indent}  sequence: string`,
    scalar('backend', 'string', indent),
  ].join('\n');
}

/** Counts for the dataset card, gathered one record at a time. */
export class CardStats {
  conversations = 0;
  train = 0;
  validation = 0;
  turns = 0;
  calls = 0;
  failedCalls = 0;
  dpoTrain = 0;
  dpoValidation = 0;
  offline = 0;
  readonly labels = new Map<string, number>();
  readonly kinds = new Map<string, number>();
  readonly categories = new Map<string, number>();
  readonly models = new Map<string, number>();
  readonly backends = new Map<string, number>();
  readonly generators = new Set<string>();

  add(rec: ConversationRecord, pool: ReadonlyMap<string, FunctionDef>, validation: boolean): void {
    const bump = (m: Map<string, number>, k: string): void => void m.set(k, (m.get(k) ?? 0) + 1);
    this.conversations++;
    if (validation) this.validation++;
    else this.train++;
    this.turns += rec.stats.turns;
    this.calls += rec.stats.calls;
    this.failedCalls += rec.stats.failedCalls;
    if (rec.provenance.backend === 'offline') this.offline++;
    bump(this.backends, rec.provenance.backend);
    this.generators.add(rec.provenance.generator);
    for (const t of rec.turns) for (const l of t.labels) bump(this.labels, l);
    bump(this.kinds, rec.kind);
    const cats = new Set(
      rec.fsp.turns.flatMap((t) => t.functions.map((f) => pool.get(f.name)?.category ?? '?')),
    );
    for (const c of cats) bump(this.categories, c);
    for (const [role, model] of Object.entries(rec.provenance.models)) bump(this.models, `${role}: ${model}`);
  }
}

function table(rows: [string, string | number][], head: [string, string]): string {
  return [`| ${head[0]} | ${head[1]} |`, '| --- | --- |', ...rows.map(([a, b]) => `| ${a} | ${b} |`)].join(
    '\n',
  );
}

const pct = (n: number, of: number): string => (of === 0 ? '0%' : `${((100 * n) / of).toFixed(1)}%`);
const sorted = (m: Map<string, number>): [string, number][] =>
  [...m.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));

/** README.md: the YAML `datasets` reads (configs, features, licence) and the card people read. */
export function datasetCard(opts: {
  runId: string;
  license: string;
  split: number;
  seed: number;
  stats: CardStats;
  files: { train?: string; validation?: string; dpoTrain?: string; dpoValidation?: string };
}): string {
  const s = opts.stats;
  return `${cardYaml(opts)}

# magnet run ${opts.runId}

Multi-turn function-calling conversations synthesised with MAGNET (Yin et al., arXiv 2503.07826) by magnet:
function-signature paths sampled from a dependency graph of the function pool, enhanced with Merge, Insert
and Split, translated into user queries and executed calls, and distilled into assistant turns.
${placeholderWarning(s)}
## Load

\`\`\`python
from datasets import load_dataset
ds = load_dataset("path/to/this/folder")            # train / validation: one row per conversation
${hasDpo(opts.files) ? 'dpo = load_dataset("path/to/this/folder", "dpo")  # mDPO preference pairs\n' : ''}\`\`\`

\`messages\` follows OpenAI's chat format; \`tools\` and tool-call \`arguments\` are JSON text (their types vary
between rows, which Arrow columns cannot hold).

## Counts

${countsTable(s)}

Split: whole conversations, ${Math.round(opts.split * 100)}% train, seeded (seed ${opts.seed}).

${shapeSections(s)}

## Licence

\`${opts.license}\` (set with \`magnet export --license\`). The conversations inherit the terms of the models
that wrote them and of the function pool they were built from.
`;
}

type CardOptions = Parameters<typeof datasetCard>[0];

const hasDpo = (files: CardOptions['files']): boolean => !!(files.dpoTrain || files.dpoValidation);

/** The YAML front matter; placeholder data is tagged so a search for training data can leave it out. */
function cardYaml(opts: CardOptions): string {
  const { configs, infos } = dataConfigs(opts.files);
  return [
    '---',
    `license: ${opts.license}`,
    `pretty_name: ${JSON.stringify(`magnet ${opts.runId}`)}`,
    'language:',
    '- en',
    'tags:',
    '- function-calling',
    '- tool-use',
    '- multi-turn',
    '- synthetic',
    '- magnet',
    ...(opts.stats.offline > 0 ? ['- placeholder-data'] : []),
    ...configs,
    ...infos,
    '---',
  ].join('\n');
}

/**
 * The configs `datasets` loads (conversations, and mDPO pairs when there are any) with their features. Only
 * the files the export wrote are named: a split without rows has no file, and naming one would fail the load.
 */
function dataConfigs(files: CardOptions['files']): { configs: string[]; infos: string[] } {
  const configs: string[] = ['configs:', '- config_name: default', '  data_files:'];
  if (files.train) configs.push('  - split: train', `    path: ${files.train}`);
  if (files.validation) configs.push('  - split: validation', `    path: ${files.validation}`);
  const infos: string[] = ['dataset_info:', '- config_name: default', '  features:', sftFeaturesYaml('  ')];
  if (hasDpo(files)) {
    configs.push('- config_name: dpo', '  data_files:');
    if (files.dpoTrain) configs.push('  - split: train', `    path: ${files.dpoTrain}`);
    if (files.dpoValidation) configs.push('  - split: validation', `    path: ${files.dpoValidation}`);
    infos.push('- config_name: dpo', '  features:', dpoFeaturesYaml('  '));
  }
  return { configs, infos };
}

/** Offline rows look like data but are rule-based placeholders: the card says so before anything else. */
function placeholderWarning(s: CardStats): string {
  return s.offline > 0
    ? `\n> **Not training data.** ${s.offline} of ${s.conversations} conversations come from magnet's offline ` +
        'backend: rule-based placeholder text that exists to test pipelines. Train only on rows whose `backend` ' +
        'is not `offline`.\n'
    : '';
}

function countsTable(s: CardStats): string {
  return table(
    [
      ['conversations', s.conversations],
      ['train', s.train],
      ['validation', s.validation],
      ['turns', s.turns],
      ['calls', s.calls],
      ['failed calls (the tool reported an error)', s.failedCalls],
      ['mDPO pairs (train / validation)', `${s.dpoTrain} / ${s.dpoValidation}`],
    ],
    ['what', 'count'],
  );
}

/** Rows of counts, most first, each with its share of `of`. */
const shares = (m: Map<string, number>, of: number): [string, string][] =>
  sorted(m).map(([k, n]): [string, string] => [k, `${n} (${pct(n, of)})`]);

/** What the data is made of (kinds, categories, operations) and of what it was made (models, backends). */
function shapeSections(s: CardStats): string {
  const labelRows = sorted(s.labels).map(([l, n]): [string, string] => [
    l,
    `${n} (${pct(n, s.turns)} of turns)`,
  ]);
  return `## Kinds (single, parallel, multiple, multi-turn, irrelevance)

${table(shares(s.kinds, s.conversations), ['kind', 'rows'])}

## Mix (conversations touching each function category)

${table(shares(s.categories, s.conversations), ['category', 'conversations'])}

## Operation rates (turns carrying each label)

${table(labelRows, ['label', 'turns'])}

## Models used

${s.models.size > 0 ? table(sorted(s.models), ['role: model', 'conversations']) : 'None: every role ran on the offline backend.'}

## Provenance

${table(sorted(s.backends), ['backend', 'conversations'])}

Generators: ${[...s.generators].sort().join(', ') || 'none'}. Each row carries its \`backend\`, \`generator\`,
\`models\`, \`seed\` and \`note\`.`;
}
