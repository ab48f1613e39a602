import { promises as fs } from 'node:fs';
import path from 'node:path';
import { mergeFunctions, parsePoolText, PoolError, type Pool, type ToolSource } from '../core/pool';
import { loadSourceFunctions } from '../tools/sources';

const POOL_EXT = new Set(['.json', '.jsonl', '.ndjson']);

/**
 * Loads a pool from files and folders (recursively; a file's category defaults to its base name) and from
 * sources that execute their own tools (MCP servers, OpenAPI services), which the pool keeps for workers.
 */
export async function loadPool(paths: readonly string[], sources: readonly ToolSource[] = []): Promise<Pool> {
  const files: string[] = [];
  for (const p of paths) {
    let stat;
    try {
      stat = await fs.stat(p);
    } catch {
      throw new PoolError(`${p}: pool file or folder not found`);
    }
    if (stat.isDirectory()) files.push(...(await listPoolFiles(p)));
    else files.push(p);
  }
  if (files.length === 0 && sources.length === 0)
    throw new PoolError(`${paths.join(', ')}: no .json/.jsonl pool files found`);
  const lists = [];
  for (const file of files) {
    const text = await fs.readFile(file, 'utf8');
    const category = path.basename(file).replace(/\.(json|jsonl|ndjson)$/, '');
    lists.push(parsePoolText(text, file, category));
  }
  for (const source of sources) lists.push(await loadSourceFunctions(source));
  const pool = mergeFunctions(lists);
  return sources.length > 0 ? { ...pool, sources: [...sources] } : pool;
}

async function listPoolFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of (await fs.readdir(dir, { withFileTypes: true })).sort((a, b) =>
    a.name < b.name ? -1 : 1,
  )) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listPoolFiles(full)));
    else if (POOL_EXT.has(path.extname(entry.name))) out.push(full);
  }
  return out;
}
