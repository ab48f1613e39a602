/**
 * The export formats. No imports: the run config (read by workflow code) validates its `export.formats`
 * against this list, so this file must stay free of I/O.
 */
export const EXPORT_FORMATS = ['openai', 'openai-dpo', 'trl', 'sharegpt', 'hf', 'bfcl'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** What `magnet validate` checks: the export formats, with TRL's two files and BFCL's two told apart. */
export const VALIDATE_FORMATS = [
  'openai',
  'openai-dpo',
  'trl',
  'trl-dpo',
  'sharegpt',
  'hf',
  'bfcl',
  'bfcl-answers',
  // BFCL's single-turn (non-live) categories: entries with their functions inline, answers as value lists
  'bfcl-single',
  'bfcl-single-answers',
] as const;
export type ValidateFormat = (typeof VALIDATE_FORMATS)[number];

/** Share of conversations in the train split unless told otherwise. */
export const DEFAULT_SPLIT = 0.95;
