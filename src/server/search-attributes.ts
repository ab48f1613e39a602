import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../contracts';

const TYPES: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  KEYWORD: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  INT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
  KEYWORD_LIST: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/**
 * Registers magnet's search attributes on the namespace when missing. Returns false when the server does
 * not allow it (e.g. Temporal Cloud without admin rights): runs then work without them, but `magnet retry`
 * falls back to listing by workflow id prefix.
 */
export async function ensureSearchAttributes(client: Client, namespace = 'default'): Promise<boolean> {
  try {
    const existing = await client.connection.operatorService.listSearchAttributes({ namespace });
    const have = new Set(Object.keys(existing.customAttributes ?? {}));
    const missing = SEARCH_ATTRIBUTES.filter((k) => !have.has(k.name));
    if (missing.length === 0) return true;
    await client.connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(
        missing.map((k) => [k.name, TYPES[k.type] as temporal.api.enums.v1.IndexedValueType]),
      ),
    });
    // registration is asynchronous on some servers; wait until it is visible
    for (let i = 0; i < 50; i++) {
      const now = await client.connection.operatorService.listSearchAttributes({ namespace });
      if (missing.every((k) => k.name in (now.customAttributes ?? {}))) return true;
      await new Promise((r) => setTimeout(r, 200));
    }
    return false;
  } catch {
    return false;
  }
}
