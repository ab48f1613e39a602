import { promises as fs } from 'node:fs';
import path from 'node:path';
import { sha256, stableStringify, writeAtomic } from './files';

/**
 * Content-addressed store for big values (pool, graph, tool state). Workflows carry only the reference
 * (`sha256:<hex>`), which keeps payloads and histories small; writing the same value twice is a no-op, so
 * retried activities are idempotent.
 */
export type Ref = string;

function fileFor(root: string, ref: Ref): string {
  const m = /^sha256:([0-9a-f]{64})$/.exec(ref);
  if (!m?.[1]) throw new Error(`not an artifact reference: ${ref}`);
  return path.join(root, 'objects', m[1].slice(0, 2), `${m[1].slice(2)}.json`);
}

export async function putJson(root: string, value: unknown): Promise<Ref> {
  const text = stableStringify(value);
  const ref = `sha256:${sha256(text)}`;
  const file = fileFor(root, ref);
  try {
    await fs.access(file);
  } catch {
    await writeAtomic(file, text);
  }
  return ref;
}

/** A stored value read afresh, for callers that keep what they derive from it (and not the value itself). */
export async function readArtifact(root: string, ref: Ref): Promise<unknown> {
  return JSON.parse(await fs.readFile(fileFor(root, ref), 'utf8')) as unknown;
}

const cache = new Map<string, unknown>();
const CACHE_LIMIT = 64;

/** Reads a stored value; immutable, so recently used ones are kept in memory (pool and graph are read a lot). */
export async function getJson(root: string, ref: Ref): Promise<unknown> {
  const key = `${root}\n${ref}`;
  if (cache.has(key)) return cache.get(key);
  const value = await readArtifact(root, ref);
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(key, value);
  return value;
}
