import { noteInvalid, noteValid, resetFitness, UNFIT_IN_A_ROW, UNFIT_WINDOW } from '../../src/llm/fitness';
import { resetLimiter } from '../../src/llm/limiter';
import { startFakeOpenAI, type FakeServer } from '../fakes';
import { ROLES, runRole } from '../../src/roles';
import { EMPTY_TASK, failureOf } from '../helpers/llm-answers';
import { fakeServerRole } from '../helpers/llm-role';

/**
 * A role whose answers keep failing validation after their repair is unfit (issue 25 item 8): 20 in a row, or
 * more than half of its first 50; per run, role and model.
 */
const a = { ledgerFile: '/runs/r1/llm-calls.jsonl', role: 'teacher', providerName: 'p', model: 'm' };
beforeEach(() => resetFitness());

it(`${UNFIT_IN_A_ROW} invalid answers in a row make a role unfit; a valid one in between starts again`, () => {
  // half of the first answers valid: the rule of the first 50 stays quiet
  for (let i = 0; i < UNFIT_WINDOW / 2; i++) noteValid(a);
  for (let i = 0; i < UNFIT_IN_A_ROW - 1; i++)
    expect(noteInvalid(a, 'calls: expected array')).toBeUndefined();
  noteValid(a);
  for (let i = 0; i < UNFIT_IN_A_ROW - 1; i++)
    expect(noteInvalid(a, 'calls: expected array')).toBeUndefined();
  const unfit = noteInvalid(a, 'not valid JSON: Unexpected end of JSON input');
  expect(unfit).toMatchObject({ role: 'teacher', model: 'm', failed: 20, of: 20 });
  expect(unfit?.line).toBe(
    'role teacher (model m on p): 20 answers in a row failed validation after their repair; commonest problem: calls: expected array',
  );
  // still unfit at the next failure, until a valid answer
  expect(noteInvalid(a, 'calls: expected array')).toBeDefined();
  noteValid(a);
  expect(noteInvalid(a, 'calls: expected array')).toBeUndefined();
});

it(`more than half of the first ${UNFIT_WINDOW} answers invalid make a role unfit, once`, () => {
  // two invalid, one valid: never 20 in a row; the 26th invalid answer is the 38th answer
  let unfit;
  let answers = 0;
  while (!unfit && answers < UNFIT_WINDOW) {
    answers++;
    if (answers % 3 === 0) noteValid(a);
    else unfit = noteInvalid(a, `step ${answers}: "query" is required`);
  }
  expect(answers).toBe(38);
  expect(unfit).toMatchObject({ failed: 26, of: 38 });
  expect(unfit?.line).toContain('26 of its first 38 answers failed validation');
  // judged once: after a valid answer (a resume with the same model), only a new streak pauses again
  noteValid(a);
  for (let i = 0; i < 10; i++) expect(noteInvalid(a, 'x')).toBeUndefined();
});

it('counts per run, role and model', () => {
  for (let i = 0; i < UNFIT_IN_A_ROW - 1; i++) noteInvalid(a, 'x');
  expect(noteInvalid({ ...a, model: 'm2' }, 'x')).toBeUndefined();
  expect(noteInvalid({ ...a, role: 'student' }, 'x')).toBeUndefined();
  expect(noteInvalid({ ...a, ledgerFile: '/runs/r2/llm-calls.jsonl' }, 'x')).toBeUndefined();
  expect(noteInvalid(a, 'x')).toBeDefined();
});

describe('through the LLM client', () => {
  let server: FakeServer;
  beforeEach(async () => {
    resetLimiter();
    server = await startFakeOpenAI();
  });
  afterEach(async () => server.close());

  it('a model answering {} to everything: the 20th failed step says the role is unfit, after 40 requests', async () => {
    server.setScript(() => ({ content: '{}' }));
    const role = fakeServerRole(server);
    const details = [];
    for (let i = 0; i < UNFIT_IN_A_ROW; i++) {
      const f = await failureOf(runRole(role, ROLES.back_translate, { ...EMPTY_TASK, turnIndex: i }));
      expect(f.type).toBe('LlmInvalidOutput');
      details.push(f.details?.[0] as { unfit?: { line: string } });
    }
    expect(details.slice(0, -1).some((d) => d.unfit)).toBe(false);
    expect(details.at(-1)?.unfit?.line).toBe(
      'role back_translate (model m on p): 20 answers in a row failed validation after their repair; commonest problem: field query: Invalid input: expected string, received undefined',
    );
    expect(server.log).toHaveLength(40);
  });
});
