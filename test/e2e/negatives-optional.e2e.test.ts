import { readFileSync } from 'node:fs';
import { fakeLlm, makeRunDir, prepare, readRecords, runToEnd } from '../helpers/run';
import { withClientAndFakeOpenAI } from '../helpers/temporal';

/**
 * Negatives are optional: a student that fails every answer (unusable even after its repair) costs the run
 * its DPO pairs, never a positive record. Each record says which negatives are missing and why.
 */
process.env.MAGNET_FAKE_KEY = 'sk-negatives';
const ctx = withClientAndFakeOpenAI();

function withStudentMode(llm: Record<string, unknown>, mode: 'json' | 'tools'): Record<string, unknown> {
  const roles = llm.roles as { student: Record<string, unknown> };
  return { ...llm, roles: { ...roles, student: { ...roles.student, mode } } };
}

it('a student that fails every answer still leaves every positive record written', async () => {
  const { client, server } = ctx;
  const { home, configFile } = makeRunDir({
    seed: 19,
    conversations: 3,
    negatives: { samples: 2 },
    // json mode: prose is then no answer at all (in tools mode a call-less text is a legitimate wrong answer,
    // a negative of its own)
    llm: withStudentMode(fakeLlm(server, { student: true }), 'json'),
  });
  server.setScript((req) => (req.role === 'student' ? { content: 'I refuse to answer in JSON' } : undefined));
  const input = await prepare(home, configFile, `negatives-${Date.now()}`);
  const summary = await runToEnd(client, input);
  expect(summary).toMatchObject({ conversations: 3, failed: 0, dpoPairs: 0 });
  const { records } = await readRecords(input);
  expect(records).toHaveLength(3);
  for (const r of records) {
    expect(r.stats.negatives).toBe(0);
    // one student failure per planned turn (the record keeps them for turns the grounding removed too)
    expect(r.negativeFailures).toHaveLength(r.fsp.turns.length);
    for (const f of r.negativeFailures ?? [])
      expect(f).toMatchObject({ stage: 'student', type: 'LlmInvalidOutput' });
  }
  expect(server.log.some((e) => e.role === 'student')).toBe(true);
  // the SFT file holds every positive record
  expect(readFileSync(summary.files.sft, 'utf8').trim().split('\n')).toHaveLength(3);
}, 300_000);
