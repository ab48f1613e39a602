import path from 'node:path';
import { packageRoot } from './paths';

/** The pool entry naming magnet's built-in pool (`builtin`), or one of its categories (`builtin:travel`). */
const BUILTIN_ENTRY = /^builtin(?::([A-Za-z0-9_-]+))?$/;

/** The built-in pool: the definitions of the built-in tool sets, shipped with the package. */
export function builtinPoolDir(): string {
  return path.join(packageRoot(), 'examples', 'pool');
}

/**
 * A pool entry of a config or of `--pool` as an absolute path: `builtin` is the built-in pool's folder and
 * `builtin:<category>` its file of that category (write `./builtin` for a folder of that name).
 */
export function resolvePoolPath(entry: string, baseDir = process.cwd()): string {
  const m = BUILTIN_ENTRY.exec(entry);
  if (!m) return path.resolve(baseDir, entry);
  return m[1] ? path.join(builtinPoolDir(), `${m[1]}.json`) : builtinPoolDir();
}
