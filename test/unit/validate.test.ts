import { mkdirSync, writeFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadPool } from '../../src/tools/pool-loader';
import { indexPool } from '../../src/core/pool';
import { syntheticRecord } from '../../src/export/synthetic';
import { toOpenAIChat } from '../../src/export/openai';
import { toTrlDpo, toTrlSft } from '../../src/export/trl';
import { toShareGpt } from '../../src/export/sharegpt';
import { toHfRow } from '../../src/export/hf';
import { toBfcl, toBfclSingle } from '../../src/export/bfcl';
import { checkRecord, checkRow, sniffFormat } from '../../src/export/validate';
import { validatePath } from '../../src/cli/validate';
import type { ConversationRecord } from '../../src/core/conversation';

type Row = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

describe('magnet validate: each rule fails on a file that breaks it', () => {
  let rec: ConversationRecord;
  let pool: Map<string, import('../../src/core/pool').FunctionDef>;
  let openai: Row;
  beforeAll(async () => {
    const p = await loadPool([path.join(__dirname, '..', '..', 'examples', 'pool')]);
    pool = indexPool(p);
    // a record with calls in its first turn and a DPO pair
    let i = 0;
    do rec = syntheticRecord(p.functions, i++);
    while (!(rec.turns[0]?.calls.length && rec.turns.some((t) => t.negatives.length > 0)));
    openai = toOpenAIChat(rec, pool) as unknown as Row;
  });
  const firstCall = (r: Row): Row => (r.messages as Row[]).find((m) => m.tool_calls)?.tool_calls[0];

  it('valid rows pass, and formats are sniffed', () => {
    expect(checkRow('openai', openai)).toEqual([]);
    expect(sniffFormat(openai)).toBe('openai');
    const trl = toTrlSft(rec, pool);
    expect(checkRow('trl', trl)).toEqual([]);
    expect(sniffFormat(trl)).toBe('trl');
    expect(sniffFormat(toHfRow(rec, pool))).toBe('hf');
    expect(sniffFormat(toShareGpt(rec, pool))).toBe('sharegpt');
  });

  it('a call to a tool that is not offered', () => {
    const r = clone(openai);
    firstCall(r).function.name = 'launch_rocket';
    expect(checkRow('openai', r).join('\n')).toMatch(
      /calls launch_rocket, which is not among the offered tools/,
    );
  });

  it('arguments that do not parse, or do not match the schema', () => {
    const r = clone(openai);
    firstCall(r).function.arguments = '{"a": ';
    expect(checkRow('openai', r).join('\n')).toMatch(/do not parse as JSON/);
    const s = clone(openai);
    const name = firstCall(s).function.name as string;
    const tool = (s.tools as Row[]).find((x) => x.function.name === name) as Row;
    tool.function.parameters = { type: 'object', properties: { zzz: { type: 'string' } }, required: ['zzz'] };
    expect(checkRow('openai', s).join('\n')).toMatch(/arguments of \w+ do not match its schema/);
    const t = clone(toTrlSft(rec, pool)) as unknown as Row;
    firstCall(t).function.arguments = JSON.stringify({});
    expect(checkRow('trl', t).join('\n')).toMatch(/JSON text where this format wants an object/);
  });

  it('a call without its result, and a result without its call', () => {
    const r = clone(openai);
    const msgs = r.messages as Row[];
    const k = msgs.findIndex((m) => m.role === 'tool');
    const [tool] = msgs.splice(k, 1);
    expect(checkRow('openai', r).join('\n')).toMatch(/has no result/);
    const s = clone(openai);
    (s.messages as Row[]).splice(1, 0, tool as Row);
    expect(checkRow('openai', s).join('\n')).toMatch(/answers no pending call/);
  });

  it("role order and OpenAI's keys", () => {
    const r = clone(openai);
    (r.messages as Row[]).push({ role: 'user', content: 'and?' });
    expect(checkRow('openai', r).join('\n')).toMatch(/last message is not the assistant's/);
    const s = clone(openai);
    s.metadata = { id: 'x' };
    expect(checkRow('openai', s).join('\n')).toMatch(/key metadata is not allowed/);
    const t = clone(openai);
    ((t.messages as Row[])[1] as Row).weight = 1;
    expect(checkRow('openai', t).join('\n')).toMatch(/key weight is not allowed on a user message/);
    const u = clone(openai);
    (u.messages as Row[]).splice(1, 0, { role: 'system', content: 'late' });
    expect(checkRow('openai', u).join('\n')).toMatch(/a system message may only come first/);
  });

  it("ShareGPT positions (LLaMA-Factory's rule) and unanswered function calls", () => {
    const r = clone(toShareGpt(rec, pool)) as unknown as Row;
    const conv = r.conversations as Row[];
    conv.splice(0, 0, { from: 'gpt', value: 'hello' });
    expect(checkRow('sharegpt', r).join('\n')).toMatch(
      /gpt at position 0 \(LLaMA-Factory wants human or observation there\)/,
    );
    const s = clone(toShareGpt(rec, pool)) as unknown as Row;
    const c = s.conversations as Row[];
    const k = c.findIndex((m) => m.from === 'observation');
    c.splice(k, 2);
    expect(checkRow('sharegpt', s).join('\n')).toMatch(/no observation follows|position/);
    const t = clone(toShareGpt(rec, pool)) as unknown as Row;
    (t.conversations as Row[]).pop();
    expect(checkRow('sharegpt', t).join('\n')).toMatch(/even number/);
  });

  it('DPO answers must continue the prompt; BFCL ground truth must be Python calls of the right turns', () => {
    const pair = clone(toTrlDpo(rec, pool)[0]?.example) as unknown as Row;
    expect(checkRow('trl-dpo', pair)).toEqual([]);
    (pair.chosen as Row[]).unshift({ role: 'tool', tool_call_id: 'nope', name: 'x', content: '{}' });
    expect(checkRow('trl-dpo', pair).join('\n')).toMatch(/answers no pending call/);
    const { answer } = toBfcl(rec, pool);
    expect(checkRow('bfcl-answers', answer, { bfclTurns: rec.turns.length })).toEqual([]);
    const bad = clone(answer);
    (bad.ground_truth[0] as string[])[0] = "cd(folder='unterminated)";
    expect(checkRow('bfcl-answers', bad).join('\n')).toMatch(/not a Python call/);
    expect(checkRow('bfcl-answers', answer, { bfclTurns: 99 }).join('\n')).toMatch(
      /turns, the entry's question 99/,
    );
  });

  it('BFCL single-turn entries and answers: sniffed, and a call must fit the functions its entry offers', async () => {
    const turn = { ...clone(rec.turns[0] as ConversationRecord['turns'][number]), negatives: [] };
    const first = turn.calls[0] as ConversationRecord['turns'][number]['calls'][number];
    turn.calls = [first, { ...first, id: 'call_1_9' }];
    const single: ConversationRecord = {
      ...clone(rec),
      kind: 'parallel',
      turns: [turn],
      tools: [first.name],
    };
    const { category, entry, answer } = toBfclSingle(single, pool);
    expect(category).toBe('parallel');
    expect(sniffFormat(entry)).toBe('bfcl-single');
    expect(sniffFormat(answer)).toBe('bfcl-single-answers');
    expect(checkRow('bfcl-single', entry)).toEqual([]);
    const tools = new Map((entry.function as Row[]).map((f) => [f.name as string, f.parameters as unknown]));
    expect(checkRow('bfcl-single-answers', answer, { bfclTools: tools })).toEqual([]);
    // a function the entry does not offer, a value that is not a list, a required argument left out
    const bad = clone(answer) as Row;
    bad.ground_truth[0] = { not_offered: {} };
    bad.ground_truth[1] = { [first.name]: {} };
    const problems = checkRow('bfcl-single-answers', bad, { bfclTools: tools });
    expect(problems.join('\n')).toMatch(/not_offered, which is not among the offered tools/);
    expect(problems.join('\n')).toMatch(/ground_truth\[1\]: arguments of .* do not match its schema/);
    expect(checkRow('bfcl-single', { ...entry, question: [] })).toEqual([
      'question is not one turn of messages',
    ]);
    // an irrelevance item has no ground truth; the file with an answer missing is caught by the CLI check
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bfcl-single-'));
    writeFileSync(path.join(dir, 'e.json'), JSON.stringify(entry) + '\n');
    expect((await validatePath(path.join(dir, 'e.json'))).map((r) => r.problems)).toEqual([[]]);
    mkdirSync(path.join(dir, 'possible_answer'));
    writeFileSync(
      path.join(dir, 'possible_answer', 'e.json'),
      JSON.stringify({ ...answer, id: 'other' }) + '\n',
    );
    const reports = await validatePath(path.join(dir, 'e.json'));
    expect(reports[1]?.problems.map((p) => p.message).sort()).toEqual([
      'answer other has no entry',
      `entry ${entry.id} has no ground truth`,
    ]);
  });

  it('the CLI names the lines of a broken file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'magnet-validate-'));
    const file = path.join(dir, 'broken.jsonl');
    const bad = clone(openai);
    firstCall(bad).function.name = 'launch_rocket';
    writeFileSync(file, [openai, openai, bad].map((r) => JSON.stringify(r)).join('\n') + '\nnot json\n');
    const [report] = await validatePath(file);
    expect(report?.format).toBe('openai');
    expect(report?.rows).toBe(4);
    expect([...new Set(report?.problems.map((p) => p.line))]).toEqual([3, 4]);
  });

  describe('nothing empty is exported (issue 21, item 5)', () => {
    /** The index of the first turn of `rec` that makes calls (the record was drawn to have one first). */
    const called = 0;

    it('a good row and a good record pass', () => {
      expect(checkRow('hf', toHfRow(rec, pool))).toEqual([]);
      expect(checkRow('sharegpt', toShareGpt(rec, pool))).toEqual([]);
      expect(checkRecord(clone(rec))).toEqual([]);
    });

    it('an empty assistant message (no text, no calls) is flagged in every chat format', () => {
      const r = clone(openai);
      const msgs = r.messages as Row[];
      const last = msgs.length - 1;
      (msgs[last] as Row).content = '';
      expect(checkRow('openai', r)).toEqual([
        `messages[${last}]: the assistant message is empty (no text, no calls)`,
      ]);
      // a message whose calls list is empty and whose text is blank is as empty
      const k = msgs.findIndex((m) => m.tool_calls);
      const s = clone(openai);
      const callMsg = (s.messages as Row[])[k] as Row;
      callMsg.content = '  ';
      callMsg.tool_calls = [];
      expect(checkRow('openai', s).join('\n')).toContain(
        `messages[${k}]: the assistant message is empty (no text, no calls)`,
      );
      const trl = clone(toTrlSft(rec, pool)) as unknown as Row;
      (trl.messages as Row[]).at(-1)!.content = '';
      expect(checkRow('trl', trl).join('\n')).toMatch(/the assistant message is empty/);
      const hf = clone(toHfRow(rec, pool)) as unknown as Row;
      (hf.messages as Row[]).at(-1)!.content = null;
      expect(checkRow('hf', hf).join('\n')).toMatch(/the assistant message is empty/);
      const sg = clone(toShareGpt(rec, pool)) as unknown as Row;
      const conv = sg.conversations as Row[];
      conv.at(-1)!.value = '';
      expect(checkRow('sharegpt', sg)).toEqual([
        `conversations[${conv.length - 1}]: the assistant message is empty (no text, no calls)`,
      ]);
    });

    it('an hf row: a turn whose labels plan calls but whose messages make none is flagged', () => {
      const hf = clone(toHfRow(rec, pool)) as unknown as Row;
      const msgs = hf.messages as Row[];
      // turn 0 with its calls and results taken out: the user message, then the final answer only
      const users = msgs.flatMap((m, i) => (m.role === 'user' ? [i] : []));
      const end = users[1] ?? msgs.length;
      const final = msgs[end - 1] as Row;
      msgs.splice(users[0]! + 1, end - users[0]! - 1, final);
      const labels = (hf.labels as string[][])[called]!;
      expect(checkRow('hf', hf)).toEqual([
        `labels[0]: turn 0 (${labels.join(', ')}) plans calls, its messages make none`,
      ]);
      // an empty turn (miss_func / miss_params) or an irrelevance item plans none
      expect(
        checkRow('hf', { ...hf, labels: [['miss_params'], ...(hf.labels as string[][]).slice(1)] }),
      ).toEqual([]);
      expect(checkRow('hf', { ...hf, kind: 'irrelevance' })).toEqual([]);
      expect(checkRow('hf', { ...hf, labels: [] }).join('\n')).toMatch(
        /labels has 0 turns, the messages \d+ user turns/,
      );
    });

    it('a record: an empty final answer, and a turn missing a planned call, name the turn and the field', () => {
      const r = clone(rec);
      const t = r.turns[called]!;
      const planned = t.functions.length;
      t.calls = t.calls.slice(0, planned - 1);
      const at = `turns[0] (turn ${t.index}, ${t.labels.join(', ')})`;
      expect(checkRecord(r)).toEqual([
        `${at}: calls has ${planned - 1} call(s), the plan ${planned} (${t.functions.map((f) => f.name).join(', ')})`,
      ]);
      // a turn that declines or asks plans no call; so does an irrelevance item
      expect(checkRecord({ ...r, turns: [{ ...t, labels: ['miss_func'] }] })).toEqual([]);
      expect(checkRecord({ ...r, kind: 'irrelevance' })).toEqual([]);
      const e = clone(rec);
      e.turns[called]!.assistant.final = ' ';
      expect(checkRecord(e)[0]).toMatch(/^turns\[0\] \(turn \d+, .*\): assistant.final is empty/);
      expect(checkRecord({ id: 'x' })[0]).toMatch(
        /^not a conversation record: 8 problems: field runId: missing/,
      );
    });

    it('the CLI checks the records of a run folder, a conversations folder or one record file', async () => {
      const run = mkdtempSync(path.join(os.tmpdir(), 'magnet-validate-run-'));
      const conv = path.join(run, 'conversations');
      mkdirSync(conv);
      const broken = clone(rec);
      broken.turns[called]!.calls = [];
      writeFileSync(path.join(conv, 'conv-00000.json'), JSON.stringify(rec, null, 1));
      writeFileSync(path.join(conv, 'conv-00001.json'), JSON.stringify(broken, null, 1));
      writeFileSync(path.join(conv, 'conv-00002.json'), '{');
      for (const target of [run, conv]) {
        const [report] = await validatePath(target);
        expect(report).toMatchObject({ file: conv, format: 'record', rows: 3 });
        expect(report?.problems.map((p) => p.line)).toEqual([2, 3]);
        expect(report?.problems[0]?.message).toMatch(
          /^conv-00001\.json: turns\[0\] .*: calls has 0 call\(s\)/,
        );
        expect(report?.problems[1]?.message).toMatch(/^conv-00002\.json: not JSON/);
      }
      const [one] = await validatePath(path.join(conv, 'conv-00000.json'));
      expect(one).toMatchObject({ format: 'record', rows: 1, problems: [] });
      const [bad] = await validatePath(path.join(conv, 'conv-00001.json'));
      expect(bad?.problems).toHaveLength(1);
    });
  });
});
