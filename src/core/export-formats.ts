/**
 * The export formats. Here in core/, not in export/, because the run config (read by workflow code)
 * validates its `export.formats` and `export.split` against them, and core/ imports nothing outside core/.
 */
export const EXPORT_FORMATS = ['openai', 'openai-dpo', 'trl', 'sharegpt', 'hf', 'bfcl'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Share of conversations in the train split unless told otherwise. */
export const DEFAULT_SPLIT = 0.95;
