import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ConversationRecord } from '../../src/core/conversation';
import { bfclNote, DpoCensus } from '../../src/export/notes';
import { exportRecords } from '../../src/export/run';
import { syntheticRun } from '../helpers/export-run';

/** Rewrites every record of a synthetic run folder with `edit`. */
function editRecords(dir: string, edit: (r: ConversationRecord) => ConversationRecord): void {
  const folder = path.join(dir, 'conversations');
  for (const name of readdirSync(folder)) {
    const file = path.join(folder, name);
    writeFileSync(file, JSON.stringify(edit(JSON.parse(readFileSync(file, 'utf8')) as ConversationRecord)));
  }
}

const withoutNegatives = (r: ConversationRecord): ConversationRecord => ({
  ...r,
  turns: r.turns.map((t) => ({ ...t, negatives: [] })),
});

describe('an export says why a format wrote nothing (issue 23)', () => {
  it('no DPO pairs on a run without a student: openai-dpo writes nothing, trl and hf no dpo file, each says why', async () => {
    const run = await syntheticRun(10);
    editRecords(run.dir, (r) =>
      withoutNegatives({
        ...r,
        provenance: { ...r.provenance, backend: 'llm', models: { teacher: 'gpt-4o' } },
      }),
    );
    const result = await exportRecords({
      runId: 'nostudent',
      conversations: path.join(run.dir, 'conversations'),
      pool: run.pool,
      formats: ['openai-dpo', 'trl', 'hf', 'bfcl'],
      outDir: path.join(run.dir, 'export'),
      split: 0.8,
      seed: 1,
      license: 'unknown',
    });
    expect(result.files.some((f) => f.format === 'openai-dpo')).toBe(false);
    expect(result.notes).toEqual([
      {
        format: 'openai-dpo',
        level: 'warning',
        message:
          'nothing written: no DPO pairs: the run has no student role (set llm.roles.student to sample rejected answers)',
      },
      expect.objectContaining({
        format: 'trl',
        level: 'warning',
        message: expect.stringMatching(/^no dpo-\*\.jsonl: no DPO pairs: the run has no student role/),
      }),
      expect.objectContaining({
        format: 'hf',
        level: 'warning',
        message: expect.stringMatching(/^no data\/dpo-\*\.jsonl: no DPO pairs/),
      }),
      {
        format: 'bfcl',
        level: 'info',
        message: '2 entries: the validation split (20% of 10); --split 1 exports all',
      },
    ]);
  });

  it('a run with pairs has no DPO note, and split 1 has no BFCL note', async () => {
    const run = await syntheticRun(12);
    const result = await exportRecords({
      runId: 'pairs',
      conversations: path.join(run.dir, 'conversations'),
      pool: run.pool,
      formats: ['openai-dpo', 'trl', 'bfcl'],
      outDir: path.join(run.dir, 'export'),
      split: 1,
      seed: 1,
      license: 'unknown',
    });
    expect(result.files.some((f) => f.format === 'openai-dpo')).toBe(true);
    expect(result.notes).toEqual([]);
  });

  it('an empty conversations folder: every format says the run has no conversations', async () => {
    const run = await syntheticRun(0);
    const result = await exportRecords({
      runId: 'empty',
      conversations: path.join(run.dir, 'conversations'),
      pool: run.pool,
      formats: ['openai', 'bfcl'],
      outDir: path.join(run.dir, 'export'),
      split: 0.95,
      seed: 1,
      license: 'unknown',
    });
    expect(result.notes.map((n) => `${n.format}: ${n.message}`)).toEqual([
      'openai: nothing written: the run has no conversations',
      'bfcl: nothing written: the run has no conversations',
    ]);
  });

  it('the census names the reason a user acts on', () => {
    const census = (records: Partial<DpoCensus>): string => Object.assign(new DpoCensus(), records).reason();
    expect(census({ records: 3, offline: 3 })).toMatch(/offline backend samples no negatives/);
    expect(census({ records: 3, offline: 1, withStudent: 0 })).toMatch(/no student role/);
    expect(census({ records: 3, withStudent: 3, failedNegatives: 4 })).toMatch(/failed for good on 4 turn/);
    expect(census({ records: 3, withStudent: 3 })).toMatch(/answered every turn right/);
  });

  it('BFCL: an empty validation side and a format that fits nothing are warnings', () => {
    expect(bfclNote(0, { train: 0.95, conversations: 1, validation: 0 }, 0)).toEqual({
      format: 'bfcl',
      level: 'warning',
      message:
        'nothing written: BFCL holds the validation split, which is empty here (5% of 1); --split 1 exports all',
    });
    expect(bfclNote(0, { train: 1, conversations: 4, validation: 0 }, 4)?.message).toBe(
      'nothing written: no conversation fits BFCL (4 left out: see "skipped" above)',
    );
    expect(bfclNote(3, { train: 1, conversations: 4, validation: 0 }, 1)).toBeUndefined();
  });
});
