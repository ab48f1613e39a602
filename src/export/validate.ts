import type { ValidateFunction } from 'ajv';
import { ConversationRecord } from '../core/conversation';
import type { Kind } from '../core/mix';
import type { TurnLabel } from '../core/ops';
import { PROVIDER_NAME } from '../core/names';
import { formatProblems, problemsOf } from '../core/issues';
import type { ValidateFormat } from './formats';
import { validatorFor } from '../tools/validators';
import { parsePyCall, PyParseError } from './pyparse';

/**
 * The rules `magnet validate` checks, one row at a time: calls name offered tools, arguments parse and
 * match the tool's JSON schema, every call has its result, roles come in an order the format allows.
 * Each problem is a sentence naming the message (or turn) and the call; the CLI adds file and line.
 */

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Why `args` does not fit `schema`, or undefined. Schemas are compiled once per distinct text (validatorFor). */
function schemaProblem(schema: unknown, args: unknown): string | undefined {
  let v: ValidateFunction;
  try {
    v = validatorFor(isObj(schema) ? schema : {});
  } catch (e) {
    return `its parameters are not a valid JSON schema (${(e as Error).message})`;
  }
  if (v(args)) return undefined;
  const e = v.errors?.[0];
  if (!e) return 'do not match';
  // `/address/zip` -> `argument address.zip`, `/tags/0` -> `argument tags[0]`: the argument as a reader names it
  const at = e.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
  return `${at ? `argument ${at} ` : ''}${e.message ?? 'does not match'}`;
}

/** Offered tools by name (parameters schema), from OpenAI tool entries or bare function objects. */
function toolIndex(tools: unknown, where: string, problems: string[]): Map<string, unknown> {
  const index = new Map<string, unknown>();
  if (!Array.isArray(tools)) {
    problems.push(`${where} is not a list`);
    return index;
  }
  tools.forEach((t, i) => {
    const fn = isObj(t) && t.type === 'function' && isObj(t.function) ? t.function : t;
    if (!isObj(fn) || typeof fn.name !== 'string') {
      problems.push(`${where}[${i}] is not a function definition (name, parameters)`);
      return;
    }
    index.set(fn.name, fn.parameters ?? { type: 'object' });
  });
  return index;
}

function checkCall(
  name: unknown,
  args: unknown,
  tools: ReadonlyMap<string, unknown>,
  where: string,
  problems: string[],
): void {
  if (typeof name !== 'string') {
    problems.push(`${where}: the call has no function name`);
    return;
  }
  if (!tools.has(name)) {
    problems.push(`${where}: calls ${name}, which is not among the offered tools`);
    return;
  }
  if (!isObj(args)) {
    problems.push(`${where}: arguments of ${name} are not an object`);
    return;
  }
  const p = schemaProblem(tools.get(name), args);
  if (p) problems.push(`${where}: arguments of ${name} do not match its schema: ${p}`);
}

interface ChatRules {
  /** How tool-call arguments are written: JSON text (OpenAI, hf) or objects (TRL). */
  args: 'string' | 'object';
  /** The first non-system message must be the user's (a whole conversation or a prompt). */
  startsWithUser: boolean;
  /** The last message must be the assistant's (an SFT example). */
  endsWithAssistant: boolean;
  /** Calls of the final messages may stay unanswered (a DPO output ends at its calls). */
  openEnd: boolean;
  /** Keys each role may carry (OpenAI rejects others); undefined: any. */
  keys?: Record<string, readonly string[]>;
}

const OPENAI_KEYS: Record<string, readonly string[]> = {
  system: ['role', 'content', 'name'],
  user: ['role', 'content', 'name'],
  assistant: ['role', 'content', 'tool_calls', 'name', 'weight', 'refusal'],
  tool: ['role', 'content', 'tool_call_id'],
};

/** Checks a message list; `label` names it in problems ("messages", "chosen"...), `offset` numbers it. */
function checkChat(
  messages: unknown,
  tools: ReadonlyMap<string, unknown>,
  rules: ChatRules,
  label: string,
  problems: string[],
  offset = 0,
): void {
  if (!Array.isArray(messages) || messages.length === 0) {
    problems.push(`${label} is not a non-empty list of messages`);
    return;
  }
  let pending: { id: string; name: string; at: string }[] = [];
  let seenUser = false;
  messages.forEach((m, k) => {
    const at = `${label}[${k + offset}]`;
    if (!isObj(m) || typeof m.role !== 'string') {
      problems.push(`${at} is not a message with a role`);
      return;
    }
    const role = m.role;
    const allowed = rules.keys?.[role];
    if (rules.keys && !allowed) problems.push(`${at}: role ${role} is not one the format allows`);
    for (const key of Object.keys(m))
      if (allowed && !allowed.includes(key))
        problems.push(`${at}: key ${key} is not allowed on a ${role} message`);
    if (role === 'tool') {
      const id = m.tool_call_id;
      const hit = pending.find((p) => p.id === id);
      if (!hit) problems.push(`${at}: tool message answers no pending call (tool_call_id ${String(id)})`);
      pending = pending.filter((p) => p !== hit);
      if (typeof m.content !== 'string') problems.push(`${at}: tool result content is not text`);
      return;
    }
    for (const p of pending) problems.push(`${p.at}: call ${p.name} (${p.id}) has no result before ${at}`);
    pending = [];
    if (role === 'system') {
      if (k + offset !== 0) problems.push(`${at}: a system message may only come first`);
      return;
    }
    if (role === 'user') seenUser = true;
    else if (role === 'assistant' && !seenUser && rules.startsWithUser)
      problems.push(`${at}: the assistant speaks before any user message`);
    if (role !== 'assistant') {
      if (role !== 'user') problems.push(`${at}: unknown role ${role}`);
      else if (typeof m.content !== 'string') problems.push(`${at}: user content is not text`);
      return;
    }
    const calls = m.tool_calls;
    if (calls === undefined || calls === null || (Array.isArray(calls) && calls.length === 0)) {
      if (typeof m.content !== 'string' || m.content.trim() === '')
        problems.push(`${at}: the assistant message is empty (no text, no calls)`);
      return;
    }
    if (!Array.isArray(calls)) {
      problems.push(`${at}: tool_calls is not a list`);
      return;
    }
    calls.forEach((c, j) => {
      const cat = `${at}.tool_calls[${j}]`;
      if (!isObj(c) || !isObj(c.function) || typeof c.id !== 'string' || c.type !== 'function') {
        problems.push(`${cat}: not a call ({id, type: "function", function: {name, arguments}})`);
        return;
      }
      let args: unknown = c.function.arguments;
      if (rules.args === 'string') {
        if (typeof args !== 'string') {
          problems.push(`${cat}: arguments are not JSON text`);
          return;
        }
        try {
          args = JSON.parse(args);
        } catch {
          problems.push(`${cat}: arguments of ${String(c.function.name)} do not parse as JSON`);
          return;
        }
      } else if (typeof args === 'string') {
        problems.push(`${cat}: arguments are JSON text where this format wants an object`);
        return;
      }
      checkCall(c.function.name, args, tools, cat, problems);
      pending.push({ id: c.id, name: String(c.function.name), at: cat });
    });
  });
  if (!rules.openEnd)
    for (const p of pending) problems.push(`${p.at}: call ${p.name} (${p.id}) has no result`);
  const first = messages.find((m) => isObj(m) && m.role !== 'system');
  if (rules.startsWithUser && isObj(first) && first.role !== 'user')
    problems.push(`${label}: the first message after the system prompt is not the user's`);
  const last = messages[messages.length - 1];
  if (rules.endsWithAssistant && (!isObj(last) || last.role !== 'assistant'))
    problems.push(`${label}: the last message is not the assistant's`);
}

const FULL: Omit<ChatRules, 'args'> = { startsWithUser: true, endsWithAssistant: true, openEnd: false };

function onlyKeys(row: Obj, keys: readonly string[], problems: string[]): void {
  for (const k of Object.keys(row))
    if (!keys.includes(k)) problems.push(`key ${k} is not allowed (only ${keys.join(', ')})`);
  for (const k of keys) if (!(k in row)) problems.push(`key ${k} is missing`);
}

function parsedTools(row: Obj, key: string, problems: string[]): Map<string, unknown> {
  const raw = row[key];
  if (typeof raw !== 'string') return toolIndex(raw, key, problems);
  try {
    return toolIndex(JSON.parse(raw), key, problems);
  } catch {
    problems.push(`${key} is not JSON text`);
    return new Map();
  }
}

function checkOpenAITools(tools: ReadonlyMap<string, unknown>, problems: string[]): void {
  for (const name of tools.keys())
    if (!PROVIDER_NAME.test(name))
      problems.push(`tool name ${name} breaks OpenAI's rule (a-z, A-Z, 0-9, _ and -, 64 at most)`);
}

function checkShareGpt(row: Obj, problems: string[]): void {
  const tools = parsedTools(row, 'tools', problems);
  const conv = row.conversations;
  if (!Array.isArray(conv) || conv.length === 0) {
    problems.push('conversations is not a non-empty list');
    return;
  }
  const msgs = isObj(conv[0]) && conv[0].from === 'system' ? conv.slice(1) : conv;
  const off = msgs === conv ? 0 : 1;
  msgs.forEach((m, k) => {
    const at = `conversations[${k + off}]`;
    if (!isObj(m) || typeof m.from !== 'string' || typeof m.value !== 'string') {
      problems.push(`${at} is not {from, value}`);
      return;
    }
    // LLaMA-Factory's rule (SharegptDatasetConverter): human/observation at even, gpt/function_call at odd
    const want = k % 2 === 0 ? ['human', 'observation'] : ['gpt', 'function_call'];
    if (!want.includes(m.from))
      problems.push(`${at}: ${m.from} at position ${k} (LLaMA-Factory wants ${want.join(' or ')} there)`);
    if (m.from === 'gpt' && m.value.trim() === '')
      problems.push(`${at}: the assistant message is empty (no text, no calls)`);
    if (m.from !== 'function_call') return;
    let calls: unknown;
    try {
      calls = JSON.parse(m.value);
    } catch {
      problems.push(`${at}: function_call is not JSON`);
      return;
    }
    const list = Array.isArray(calls) ? calls : [calls];
    if (list.length === 0)
      problems.push(`${at}: the function_call lists no call (an empty assistant message)`);
    list.forEach((c, j) =>
      checkCall(
        isObj(c) ? c.name : undefined,
        isObj(c) ? c.arguments : undefined,
        tools,
        `${at}[${j}]`,
        problems,
      ),
    );
    const next = msgs[k + 1];
    if (!isObj(next) || next.from !== 'observation') {
      problems.push(`${at}: the call has no result (no observation follows)`);
      return;
    }
    if (list.length > 1) {
      let results: unknown;
      try {
        results = JSON.parse(String(next.value));
      } catch {
        results = undefined;
      }
      if (!Array.isArray(results) || results.length !== list.length)
        problems.push(
          `conversations[${k + off + 1}]: ${list.length} parallel calls need a JSON list of ${list.length} results`,
        );
    }
  });
  if (msgs.length % 2 !== 0)
    problems.push(
      `conversations: ${msgs.length} messages after the system prompt (LLaMA-Factory wants an even number)`,
    );
}

function checkBfclEntry(row: Obj, problems: string[]): void {
  onlyKeys(
    row,
    ['id', 'question', 'initial_config', 'path', 'involved_classes', 'missed_function'],
    problems,
  );
  if (typeof row.id !== 'string') problems.push('id is not text');
  if (!Array.isArray(row.question)) problems.push('question is not a list of turns');
  else
    row.question.forEach((t, h) => {
      if (!Array.isArray(t)) problems.push(`question[${h}] is not a list of messages`);
      else
        t.forEach((m, k) => {
          if (!isObj(m) || !['user', 'system'].includes(String(m.role)) || typeof m.content !== 'string')
            problems.push(`question[${h}][${k}] is not a user message`);
        });
    });
  if (!isObj(row.initial_config)) problems.push('initial_config is not an object');
  for (const k of ['path', 'involved_classes'])
    if (!Array.isArray(row[k]) || (row[k] as unknown[]).some((x) => typeof x !== 'string'))
      problems.push(`${k} is not a list of text`);
  if (!isObj(row.missed_function)) problems.push('missed_function is not an object');
  else
    for (const [n, names] of Object.entries(row.missed_function)) {
      const turns = Array.isArray(row.question) ? row.question.length : 0;
      if (!/^\d+$/.test(n) || Number(n) >= turns)
        problems.push(`missed_function key ${n} is not a turn of the question (0-${turns - 1})`);
      if (!Array.isArray(names) || names.some((x) => typeof x !== 'string'))
        problems.push(`missed_function[${n}] is not a list of function names`);
    }
}

/** BFCL's held-out functions by turn (`missed_function`), as the validator reads them from an entry. */
export function bfclMissed(row: Obj): Map<number, string[]> {
  const out = new Map<number, string[]>();
  if (isObj(row.missed_function))
    for (const [n, names] of Object.entries(row.missed_function))
      if (/^\d+$/.test(n) && Array.isArray(names)) out.set(Number(n), names.map(String));
  return out;
}

/** `tools`: function docs of the entry's classes when known; calls are then checked against them. */
function checkBfclAnswer(
  row: Obj,
  problems: string[],
  tools?: ReadonlyMap<string, unknown>,
  turns?: number,
  missed: ReadonlyMap<number, readonly string[]> = new Map(),
): void {
  if (typeof row.id !== 'string') problems.push('id is not text');
  const gt = row.ground_truth;
  if (!Array.isArray(gt)) {
    problems.push('ground_truth is not a list of turns');
    return;
  }
  if (turns !== undefined && gt.length !== turns)
    problems.push(`ground_truth has ${gt.length} turns, the entry's question ${turns}`);
  if (tools)
    for (const [n, names] of missed)
      for (const name of names)
        if (!tools.has(name))
          problems.push(`missed_function[${n}]: ${name} is not a function of the entry's classes`);
  // a function held out until turn N is not offered before it: every call is checked against its turn's tools
  const toolsAt = (h: number): ReadonlyMap<string, unknown> | undefined => {
    if (!tools) return undefined;
    const later = [...missed].filter(([n]) => n > h).flatMap(([, names]) => names);
    if (later.length === 0) return tools;
    const m = new Map(tools);
    for (const name of later) m.delete(name);
    return m;
  };
  gt.forEach((turn, h) => {
    if (!Array.isArray(turn)) {
      problems.push(`ground_truth[${h}] is not a list of calls`);
      return;
    }
    const offered = toolsAt(h);
    turn.forEach((s, j) => {
      const at = `ground_truth[${h}][${j}]`;
      if (typeof s !== 'string') {
        problems.push(`${at} is not text`);
        return;
      }
      try {
        const call = parsePyCall(s);
        if (offered) checkCall(call.name, call.args, offered, at, problems);
      } catch (e) {
        if (!(e instanceof PyParseError)) throw e;
        problems.push(`${at}: not a Python call: ${e.message}`);
      }
    });
  });
}

/** A single-turn BFCL entry: one user turn and the functions offered, inline. */
function checkBfclSingleEntry(row: Obj, problems: string[]): void {
  onlyKeys(row, ['id', 'question', 'function'], problems);
  if (typeof row.id !== 'string') problems.push('id is not text');
  const q = row.question;
  if (!Array.isArray(q) || q.length !== 1 || !Array.isArray(q[0]) || q[0].length === 0)
    problems.push('question is not one turn of messages');
  else
    (q[0] as unknown[]).forEach((m, k) => {
      if (!isObj(m) || !['user', 'system'].includes(String(m.role)) || typeof m.content !== 'string')
        problems.push(`question[0][${k}] is not a user message`);
    });
  if (!Array.isArray(row.function) || row.function.length === 0)
    problems.push('function is not a non-empty list of function docs');
  else
    row.function.forEach((f, i) => {
      if (!isObj(f) || typeof f.name !== 'string' || !isObj(f.parameters))
        problems.push(`function[${i}] has no name or parameters`);
    });
}

/** BFCL's function docs of a single-turn entry, by name (its parameters). */
export function bfclSingleTools(row: Obj): Map<string, unknown> {
  const tools = new Map<string, unknown>();
  if (Array.isArray(row.function))
    for (const f of row.function) if (isObj(f) && typeof f.name === 'string') tools.set(f.name, f.parameters);
  return tools;
}

/** Single-turn ground truth: per call `{name: {param: [accepted values]}}`; the first value is checked. */
function checkBfclSingleAnswer(row: Obj, problems: string[], tools?: ReadonlyMap<string, unknown>): void {
  onlyKeys(row, ['id', 'ground_truth'], problems);
  if (typeof row.id !== 'string') problems.push('id is not text');
  const gt = row.ground_truth;
  if (!Array.isArray(gt) || gt.length === 0) {
    problems.push('ground_truth is not a non-empty list of calls');
    return;
  }
  gt.forEach((c, j) => {
    const at = `ground_truth[${j}]`;
    const entries = isObj(c) ? Object.entries(c) : [];
    const [name, params] = entries[0] ?? [];
    if (entries.length !== 1 || !isObj(params)) {
      problems.push(`${at} is not {function: {param: [values]}}`);
      return;
    }
    const args: Obj = {};
    for (const [k, v] of Object.entries(params)) {
      if (!Array.isArray(v) || v.length === 0)
        problems.push(`${at}.${name}.${k} is not a non-empty list of values`);
      else args[k] = v[0];
    }
    if (tools) checkCall(name, args, tools, at, problems);
  });
}

/** Labels of a turn that plans no call: it declines (missing function) or asks (missing value). */
const NO_CALL_LABELS: readonly string[] = ['miss_func', 'miss_params'] satisfies readonly TurnLabel[];

/** A turn with these labels (in an item of this kind) plans no call. */
function plansNoCall(labels: readonly string[], kind: unknown): boolean {
  return kind === ('irrelevance' satisfies Kind) || labels.some((l) => NO_CALL_LABELS.includes(l));
}

/**
 * An `hf` row carries each turn's labels (`labels[h]` for the h-th user message): a turn whose labels plan
 * calls (walk, merge, insert_*, provides_*, parallel, multiple, tool_error) must make at least one.
 */
function checkLabelledTurns(row: Obj, problems: string[]): void {
  if (row.labels === undefined || !Array.isArray(row.messages)) return;
  if (!Array.isArray(row.labels)) {
    problems.push('labels is not a list of turns');
    return;
  }
  const calls: number[] = [];
  for (const m of row.messages) {
    if (!isObj(m)) continue;
    if (m.role === 'user') calls.push(0);
    else if (m.role === 'assistant' && Array.isArray(m.tool_calls) && calls.length > 0)
      calls[calls.length - 1] = (calls[calls.length - 1] ?? 0) + m.tool_calls.length;
  }
  if (row.labels.length !== calls.length)
    problems.push(`labels has ${row.labels.length} turns, the messages ${calls.length} user turns`);
  row.labels.forEach((labels, h) => {
    if (!Array.isArray(labels) || labels.some((l) => typeof l !== 'string')) {
      problems.push(`labels[${h}] is not a list of labels`);
      return;
    }
    const made = calls[h];
    if (made === 0 && labels.length > 0 && !plansNoCall(labels as string[], row.kind))
      problems.push(`labels[${h}]: turn ${h} (${labels.join(', ')}) plans calls, its messages make none`);
  });
}

/**
 * Problems of a conversation record (`<run>/conversations/*.json`): the record's shape, and what no export of
 * it may hold: an empty assistant message (a final answer with no text, or a rejected turn with neither text
 * nor calls), and a turn that plans calls (labels other than miss_func / miss_params, an item other than
 * irrelevance) made with fewer calls than its planned functions.
 */
export function checkRecord(raw: unknown): string[] {
  const parsed = ConversationRecord.safeParse(raw);
  if (!parsed.success)
    return [`not a conversation record: ${formatProblems('', problemsOf(parsed.error, ConversationRecord))}`];
  const rec = parsed.data;
  const problems: string[] = [];
  rec.turns.forEach((t, h) => {
    const at = `turns[${h}] (turn ${t.index}, ${t.labels.join(', ') || 'no labels'})`;
    if (t.assistant.final.trim() === '')
      problems.push(`${at}: assistant.final is empty (an assistant message with no text, no calls)`);
    t.negatives.forEach((n, k) => {
      const said = [...n.assistant.steps, n.assistant.final].some((x) => x.trim() !== '');
      if (n.calls.length === 0 && !said)
        problems.push(`${at}: negatives[${k}] is an empty assistant message (no text, no calls)`);
    });
    const planned = t.missing ? 0 : t.functions.length;
    if (!plansNoCall(t.labels, rec.kind) && t.calls.length < planned)
      problems.push(
        `${at}: calls has ${t.calls.length} call(s), the plan ${planned} (${t.functions.map((f) => f.name).join(', ')})`,
      );
  });
  return problems;
}

export interface RowContext {
  /** BFCL: function docs by name, and the question's turn count for the answers file. */
  bfclTools?: ReadonlyMap<string, unknown>;
  bfclTurns?: number;
  /** BFCL: the entry's held-out functions by turn (not offered before it). */
  bfclMissed?: ReadonlyMap<number, readonly string[]>;
}

/** Problems of one parsed row in `format`; empty when it is valid. */
export function checkRow(format: ValidateFormat, row: unknown, ctx: RowContext = {}): string[] {
  const problems: string[] = [];
  if (!isObj(row)) return ['the line is not a JSON object'];
  switch (format) {
    case 'openai': {
      onlyKeys(row, ['messages', 'tools', 'parallel_tool_calls'], problems);
      const tools = toolIndex(row.tools, 'tools', problems);
      checkOpenAITools(tools, problems);
      if (typeof row.parallel_tool_calls !== 'boolean')
        problems.push('parallel_tool_calls is not true or false');
      checkChat(row.messages, tools, { args: 'string', ...FULL, keys: OPENAI_KEYS }, 'messages', problems);
      break;
    }
    case 'openai-dpo': {
      onlyKeys(row, ['input', 'preferred_output', 'non_preferred_output'], problems);
      const input = isObj(row.input) ? row.input : {};
      const tools = toolIndex(input.tools ?? [], 'input.tools', problems);
      checkOpenAITools(tools, problems);
      const open = {
        args: 'string',
        startsWithUser: true,
        endsWithAssistant: false,
        keys: OPENAI_KEYS,
      } as const;
      checkChat(input.messages, tools, { ...open, openEnd: false }, 'input.messages', problems);
      for (const side of ['preferred_output', 'non_preferred_output']) {
        const out = row[side];
        if (!Array.isArray(out) || out.length !== 1 || !isObj(out[0]) || out[0].role !== 'assistant')
          problems.push(`${side} is not one assistant message`);
        else checkChat(out, tools, { ...open, startsWithUser: false, openEnd: true }, side, problems);
      }
      break;
    }
    case 'trl':
    case 'hf': {
      const tools = parsedTools(row, 'tools', problems);
      checkChat(
        row.messages,
        tools,
        { args: format === 'trl' ? 'object' : 'string', ...FULL },
        'messages',
        problems,
      );
      if (format === 'hf') checkLabelledTurns(row, problems);
      break;
    }
    case 'trl-dpo': {
      const tools = parsedTools(row, 'tools', problems);
      const args = typeof row.tools === 'string' ? 'string' : 'object';
      const prompt = Array.isArray(row.prompt) ? row.prompt : [];
      checkChat(
        row.prompt,
        tools,
        { args, startsWithUser: true, endsWithAssistant: false, openEnd: false },
        'prompt',
        problems,
      );
      for (const side of ['chosen', 'rejected']) {
        const msgs = row[side];
        if (!Array.isArray(msgs)) problems.push(`${side} is not a list of messages`);
        // the answer continues the prompt: results and order are checked across the boundary
        else
          checkChat([...prompt, ...msgs], tools, { args, ...FULL }, `${side} (after the prompt)`, problems);
      }
      break;
    }
    case 'sharegpt':
      checkShareGpt(row, problems);
      break;
    case 'bfcl':
      checkBfclEntry(row, problems);
      break;
    case 'bfcl-answers':
      checkBfclAnswer(row, problems, ctx.bfclTools, ctx.bfclTurns, ctx.bfclMissed);
      break;
    case 'bfcl-single':
      checkBfclSingleEntry(row, problems);
      break;
    case 'bfcl-single-answers':
      checkBfclSingleAnswer(row, problems, ctx.bfclTools);
      break;
  }
  return problems;
}

/** The format of a row, from its keys; undefined when it is none of them. */
export function sniffFormat(row: unknown): ValidateFormat | undefined {
  if (!isObj(row)) return undefined;
  if ('input' in row && 'preferred_output' in row) return 'openai-dpo';
  if ('conversations' in row) return 'sharegpt';
  if ('question' in row && 'initial_config' in row) return 'bfcl';
  if ('question' in row && 'function' in row) return 'bfcl-single';
  if ('ground_truth' in row)
    return Array.isArray(row.ground_truth) && row.ground_truth.some((c) => isObj(c))
      ? 'bfcl-single-answers'
      : 'bfcl-answers';
  if ('prompt' in row && 'chosen' in row) return 'trl-dpo';
  if ('messages' in row) {
    if (typeof row.tools === 'string' || 'run_id' in row) return 'hf';
    return 'parallel_tool_calls' in row ? 'openai' : 'trl';
  }
  return undefined;
}
