import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { writeAtomic } from '../io/files';

/**
 * Persistent response cache keyed by the hash of (provider, model, prompt version, request). A retried or
 * replayed activity finds its answer here and never pays twice. Valid answers are cached for everyone;
 * invalid ones only for retries of the activity that got them (see request.ts).
 */
export const CachedResponse = z.object({
  text: z.string(),
  inputTokens: z.number(),
  outputTokens: z.number(),
  model: z.string(),
});
export type CachedResponse = z.infer<typeof CachedResponse>;

function file(dir: string, key: string): string {
  return path.join(dir, key.slice(0, 2), `${key.slice(2)}.json`);
}

export async function cacheGet(dir: string, key: string): Promise<CachedResponse | undefined> {
  try {
    return CachedResponse.parse(JSON.parse(await fs.readFile(file(dir, key), 'utf8')));
  } catch {
    return undefined;
  }
}

export async function cachePut(dir: string, key: string, value: CachedResponse): Promise<void> {
  await writeAtomic(file(dir, key), JSON.stringify(value));
}
