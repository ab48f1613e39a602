import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The package root (where package.json and temporal/ are), from src/ or dist/src/. */
export function packageRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'temporal'))) return dir;
    dir = path.dirname(dir);
  }
  throw new Error(`cannot find the magnet package root above ${__dirname}`);
}

/** magnet's version, from its package.json. */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as {
    version?: string;
  };
  return pkg.version ?? 'unknown';
}

/** Where runs, artifacts and the local Temporal database live: $MAGNET_HOME or ./.magnet. */
export function dataDir(): string {
  return path.resolve(process.env.MAGNET_HOME ?? '.magnet');
}
