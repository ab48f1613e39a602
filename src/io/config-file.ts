import { promises as fs } from 'node:fs';
import path from 'node:path';
import { RunConfig } from '../core/config';
import { formatIssue } from '../core/pool';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Reads and validates a run config; relative paths in it are resolved against the config's folder. */
export async function loadConfig(file: string): Promise<{ config: RunConfig; baseDir: string }> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    throw new ConfigError(`${file}: config file not found`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${file}: invalid JSON: ${(e as Error).message}`);
  }
  return { config: parseConfig(raw, file), baseDir: path.dirname(path.resolve(file)) };
}

export function parseConfig(raw: unknown, file: string): RunConfig {
  const parsed = RunConfig.safeParse(raw);
  if (!parsed.success) throw new ConfigError(formatIssue(file, '', parsed.error));
  return parsed.data;
}
