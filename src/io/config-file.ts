import { promises as fs } from 'node:fs';
import path from 'node:path';
import { RunConfig } from '../core/config';
import { formatIssue } from '../core/pool';
import { jsonErrorAt } from '../core/pool-formats';

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
    throw new ConfigError(`${file}: invalid JSON: ${jsonSyntax(text, (e as Error).message)}`);
  }
  return { config: parseConfig(raw, file), baseDir: path.dirname(path.resolve(file)) };
}

/** Where the JSON breaks, as an editor shows it: line, column, reason, and the line's own text. */
function jsonSyntax(text: string, message: string): string {
  const e = jsonErrorAt(text, message);
  if (e.line === undefined) return e.reason;
  const source = text.split('\n')[e.line - 1]?.trim();
  const at = `line ${e.line} column ${e.column ?? 1}: ${e.reason}`;
  return source ? `${at}: ${source.length > 80 ? `${source.slice(0, 77)}...` : source}` : at;
}

export function parseConfig(raw: unknown, file: string): RunConfig {
  const parsed = RunConfig.safeParse(raw);
  if (!parsed.success) throw new ConfigError(formatIssue(file, '', parsed.error, RunConfig));
  return parsed.data;
}
