import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Search attributes that make a run's conversations findable in the Temporal UI and by `magnet retry`
 * (e.g. `MagnetRun = "demo-1" AND MagnetStatus = "waiting"`). They must be registered on the namespace
 * first: the local dev server is started with them, and the CLI adds them to other clusters.
 */
export const MagnetRun = defineSearchAttributeKey('MagnetRun', SearchAttributeType.KEYWORD);
export const MagnetStatus = defineSearchAttributeKey('MagnetStatus', SearchAttributeType.KEYWORD);
export const MagnetErrorType = defineSearchAttributeKey('MagnetErrorType', SearchAttributeType.KEYWORD);
export const MagnetTurns = defineSearchAttributeKey('MagnetTurns', SearchAttributeType.INT);
export const MagnetCategories = defineSearchAttributeKey(
  'MagnetCategories',
  SearchAttributeType.KEYWORD_LIST,
);

export const SEARCH_ATTRIBUTES = [MagnetRun, MagnetStatus, MagnetErrorType, MagnetTurns, MagnetCategories];

/** `--search-attribute` flags for `temporal server start-dev`. */
export function devServerSearchAttributeFlags(): string[] {
  return SEARCH_ATTRIBUTES.flatMap((k) => [
    '--search-attribute',
    `${k.name}=${k.type === 'KEYWORD_LIST' ? 'KeywordList' : k.type === 'INT' ? 'Int' : 'Keyword'}`,
  ]);
}
