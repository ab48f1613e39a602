// The run config's formats live in core/ (it validates the config's `export` against them); they are
// re-exported here so the exporters and the CLI find every format list in one place.
export { DEFAULT_SPLIT, EXPORT_FORMATS, type ExportFormat } from '../core/export-formats';

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
