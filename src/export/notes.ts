import type { ConversationRecord } from '../core/conversation';
import type { ExportFormat } from './formats';

/**
 * What an export says beside its files: why a format wrote nothing (or no DPO file), and what share of the
 * run a BFCL file holds. A quiet empty file set reads as a bug; a stated reason reads as a fact of the run.
 */
export interface ExportNote {
  format: ExportFormat;
  /** `warning`: the format is missing data a user asked for; `info`: what the files hold, said once. */
  level: 'warning' | 'info';
  message: string;
}

/** What the records say about DPO pairs, counted in the export's one pass. */
export class DpoCensus {
  records = 0;
  offline = 0;
  /** Records made with a student model (the role that samples the rejected answers). */
  withStudent = 0;
  /** Turns whose negatives could not be made (the student or the negative teacher failed for good). */
  failedNegatives = 0;

  add(rec: ConversationRecord): void {
    this.records++;
    if (rec.provenance.backend === 'offline') this.offline++;
    if (rec.provenance.models.student !== undefined) this.withStudent++;
    this.failedNegatives += rec.negativeFailures?.length ?? 0;
  }

  /** Why the records give no DPO pair, in the words a user acts on. */
  reason(): string {
    if (this.records === 0) return 'the run has no conversations';
    if (this.offline === this.records)
      return 'the offline backend samples no negatives (they need llm.roles.student on a real provider)';
    if (this.withStudent === 0)
      return 'the run has no student role (set llm.roles.student to sample rejected answers)';
    if (this.failedNegatives > 0)
      return `the student's answers failed for good on ${this.failedNegatives} turn(s) (each record's negativeFailures says why)`;
    return 'the student answered every turn right, so no answer was rejected';
  }
}

/** The formats whose files hold DPO pairs, and the file names they would have. */
const DPO_FILES: Partial<Record<ExportFormat, string>> = {
  'openai-dpo': 'train.jsonl',
  trl: 'dpo-*.jsonl',
  hf: 'data/dpo-*.jsonl',
};

/** A note per DPO-holding format that wrote no pair. */
export function dpoNotes(
  formats: ReadonlySet<ExportFormat>,
  wrotePairs: (format: ExportFormat) => boolean,
  census: DpoCensus,
): ExportNote[] {
  const notes: ExportNote[] = [];
  for (const [format, files] of Object.entries(DPO_FILES) as [ExportFormat, string][]) {
    if (!formats.has(format) || wrotePairs(format)) continue;
    const what = format === 'openai-dpo' ? 'nothing written' : `no ${files}`;
    notes.push({ format, level: 'warning', message: `${what}: no DPO pairs: ${census.reason()}` });
  }
  return notes;
}

/** BFCL evaluates held-out conversations: say which share its entries are, and how to get all of them. */
export function bfclNote(
  entries: number,
  split: { train: number; conversations: number; validation: number },
  skipped: number,
): ExportNote | undefined {
  const skippedText = skipped > 0 ? ` (${skipped} left out: see "skipped" above)` : '';
  if (split.train >= 1) {
    if (entries > 0) return undefined;
    return {
      format: 'bfcl',
      level: 'warning',
      message: `nothing written: no conversation fits BFCL${skippedText}`,
    };
  }
  const share = `${Math.round((1 - split.train) * 1000) / 10}% of ${split.conversations}`;
  if (split.validation === 0)
    return {
      format: 'bfcl',
      level: 'warning',
      message: `nothing written: BFCL holds the validation split, which is empty here (${share}); --split 1 exports all`,
    };
  return {
    format: 'bfcl',
    level: entries > 0 ? 'info' : 'warning',
    message: `${entries} entr${entries === 1 ? 'y' : 'ies'}: the validation split (${share})${skippedText}; --split 1 exports all`,
  };
}
