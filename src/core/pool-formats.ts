import { LineCounter, parseDocument } from 'yaml';

/**
 * Reading a pool file's text, whatever its format: one JSON value over any number of lines (a list of tools,
 * one tool, `{"tools": [...]}`), JSON lines (one value per line, as BFCL ships its function docs), or YAML.
 * The format is told by the content, not by the file's extension: people pretty-print JSON into `.jsonl`
 * files and name YAML `.json`. When no format reads the text, the error says where each one failed, so a
 * broken JSON file does not get blamed as bad JSON lines (or the other way round).
 */

/** A value read from the file and where it sits (`item 3`, `line 12`), for error messages. */
export interface PoolItem {
  value: unknown;
  item: string;
}

type Failure = { ok: false; format: string; where: string };
type Attempt = { ok: true; items: PoolItem[] } | Failure;

/** The items of a pool file; throws `Error` with one line naming every format tried and where it failed. */
export function readPoolItems(text: string, file: string): PoolItem[] {
  const attempts: Failure[] = [];
  const yamlFirst = /\.ya?ml$/i.test(file);
  const order = yamlFirst ? [readYaml, readJson, readJsonLines] : [readJson, readJsonLines, readYaml];
  for (const read of order) {
    const attempt = read(text);
    if (!attempt) continue;
    if (attempt.ok) return attempt.items;
    attempts.push(attempt);
  }
  const tried = attempts.map((a) => `as ${a.format} (${a.where})`);
  const list = tried.length > 1 ? `${tried.slice(0, -1).join(', ')} or ${tried.at(-1)}` : tried[0];
  throw new Error(`${file}: cannot read it ${list}`);
}

/**
 * The items of one parsed value: a list, a `{"tools": [...]}` wrapper (OpenAI tool lists, MCP tools/list
 * results), a whole JSON-RPC tools/list response (`{"result": {"tools": [...]}}`, as dumped from a server), or a
 * single function or tool.
 */
function itemsOf(value: unknown, single: string): PoolItem[] {
  if (Array.isArray(value)) return value.map((v, i) => ({ value: v, item: `item ${i}` }));
  const tools = toolsOf(value);
  if (tools) return tools.list.map((v, i) => ({ value: v, item: `${tools.path}[${i}]` }));
  return [{ value, item: single }];
}

function toolsOf(value: unknown): { list: unknown[]; path: string } | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const { tools, result } = value as { tools?: unknown; result?: { tools?: unknown } };
  if (Array.isArray(tools)) return { list: tools, path: 'tools' };
  if (result && typeof result === 'object' && Array.isArray(result.tools))
    return { list: result.tools, path: 'result.tools' };
  return undefined;
}

function isJsonRpc(value: unknown): boolean {
  return !!value && typeof value === 'object' && (value as { jsonrpc?: unknown }).jsonrpc === '2.0';
}

function readJson(text: string): Attempt {
  try {
    // a one-line object is also a JSON-lines file of one line: keep the name its items always had
    return { ok: true, items: itemsOf(JSON.parse(text), text.trim().includes('\n') ? 'item 0' : 'line 1') };
  } catch (e) {
    return { ok: false, format: 'JSON', where: jsonError(text, (e as Error).message) };
  }
}

/** JSON lines; not tried on a single line (the JSON attempt covered it). */
function readJsonLines(text: string): Attempt | undefined {
  const lines = text.split('\n');
  if (lines.filter((l) => l.trim() !== '').length < 2) return undefined;
  const items: PoolItem[] = [];
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      return { ok: false, format: 'JSON lines', where: jsonError(line, (e as Error).message, i + 1) };
    }
    // a server's stdout piped in (initialize, then tools/list): its tools/list answers hold the tools, its
    // other JSON-RPC messages none
    const tools = isJsonRpc(value) ? toolsOf(value) : undefined;
    if (tools)
      items.push(...tools.list.map((v, j) => ({ value: v, item: `line ${i + 1} ${tools.path}[${j}]` })));
    else if (!isJsonRpc(value)) items.push({ value, item: `line ${i + 1}` });
  }
  return { ok: true, items };
}

function readYaml(text: string): Attempt {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, lineCounter });
  const error = doc.errors[0];
  if (error) {
    const pos = lineCounter.linePos(error.pos[0]);
    const at = `line ${pos.line} column ${pos.col}: `;
    return { ok: false, format: 'YAML', where: `${at}${firstLine(error.message)}` };
  }
  const value: unknown = doc.toJS({ maxAliasCount: 100 });
  // any text is a YAML scalar: only a list or a mapping can describe functions
  if (!value || typeof value !== 'object')
    return {
      ok: false,
      format: 'YAML',
      where: `the document is ${describe(value)}, not a list or a mapping`,
    };
  return { ok: true, items: itemsOf(value, 'item 0') };
}

function describe(v: unknown): string {
  return v === null || v === undefined ? 'empty' : `a ${typeof v}`;
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/:$/, '');
}

/** Where V8's JSON error points, as line and column (absent when its message names no position). */
export interface JsonErrorAt {
  line?: number;
  column?: number;
  reason: string;
}

/** V8's JSON error read back: the position as line and column (`line` offsets a line of a JSON-lines file). */
export function jsonErrorAt(text: string, message: string, line?: number): JsonErrorAt {
  const m = /^(.*?)(?: in JSON)? at position (\d+)/.exec(message);
  const at =
    m && m[2] !== undefined
      ? Number(m[2])
      : message.startsWith('Unexpected end of JSON input')
        ? text.length
        : undefined;
  // V8 quotes the whole text in some messages: keep the reason only
  const reason = (m?.[1] ?? message).replace(/, ".*is not valid JSON$/s, '');
  if (at === undefined) return { ...(line !== undefined ? { line } : {}), reason };
  const before = text.slice(0, at).split('\n');
  return { line: (line ?? 1) + before.length - 1, column: (before.at(-1)?.length ?? 0) + 1, reason };
}

/** V8's JSON error with the position as line and column: `line 3 column 5: Expected ...`. */
function jsonError(text: string, message: string, line?: number): string {
  const e = jsonErrorAt(text, message, line);
  const where =
    e.line === undefined ? '' : `line ${e.line}${e.column === undefined ? '' : ` column ${e.column}`}: `;
  return `${where}${e.reason}`;
}
