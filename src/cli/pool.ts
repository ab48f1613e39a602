import path from 'node:path';
import type { FunctionDef, Pool } from '../core/pool';
import { builtinPoolDir } from '../io/pool-paths';
import { loadPool } from '../tools/pool-loader';

/** Who produces a function's outputs: real ones from its implementation, or simulated. */
function executorOf(f: FunctionDef): string {
  const impl = f.impl;
  if (!impl) return 'unbound';
  if (impl.kind === 'builtin') return `builtin:${impl.set}`;
  if (impl.kind === 'mcp') return `mcp:${impl.server}`;
  if (impl.kind === 'http') return `http:${impl.source}`;
  return 'simulated';
}

/** One function as `magnet pool inspect` shows it. */
export interface InspectedFunction {
  name: string;
  category: string;
  /** builtin:<set>, mcp:<server>, http:<source> (real outputs) or simulated. */
  executor: string;
  outputs: 'real' | 'simulated';
  /** The output schema: declared by the source, inferred, or none. */
  outputSchema: 'declared' | 'inferred' | 'none';
  source: string;
}

export function inspectPool(pool: Pool, cwd = process.cwd()): InspectedFunction[] {
  return pool.functions.map((f) => {
    const executor = executorOf(f);
    const file = path.isAbsolute(f.source.file) ? path.relative(cwd, f.source.file) : f.source.file;
    return {
      name: f.name,
      category: f.category,
      executor,
      outputs: executor === 'simulated' || executor === 'unbound' ? 'simulated' : 'real',
      outputSchema: f.output ? (f.outputOrigin ?? 'declared') : 'none',
      source: `${file.startsWith('..') ? f.source.file : file} ${f.source.item}`,
    };
  });
}

/** The listing: functions by category, then the totals. */
export function formatInspection(fns: InspectedFunction[]): string {
  const lines: string[] = [];
  const categories = [...new Set(fns.map((f) => f.category))].sort();
  const width = Math.max(...fns.map((f) => f.name.length), 8);
  const execWidth = Math.max(...fns.map((f) => f.executor.length), 9);
  for (const c of categories) {
    const inCat = fns.filter((f) => f.category === c);
    lines.push(`${c} (${inCat.length} function${inCat.length === 1 ? '' : 's'})`);
    for (const f of inCat)
      lines.push(
        `  ${f.name.padEnd(width)}  ${f.outputs.padEnd(9)}  ${f.executor.padEnd(execWidth)}  schema ${f.outputSchema.padEnd(8)}  ${f.source}`,
      );
  }
  const count = (p: (f: InspectedFunction) => boolean): number => fns.filter(p).length;
  lines.push(
    `${fns.length} functions in ${categories.length} categories: ${count((f) => f.outputs === 'real')} with real outputs, ` +
      `${count((f) => f.outputs === 'simulated')} simulated; output schemas: ${count((f) => f.outputSchema === 'declared')} declared, ` +
      `${count((f) => f.outputSchema === 'inferred')} inferred, ${count((f) => f.outputSchema === 'none')} none`,
  );
  return lines.join('\n');
}

/**
 * The built-in pool as one file of OpenAI tools with output schemas and categories. Loaded again as a pool
 * it runs built-in code: its definitions are the built-in ones (see bindFile in src/tools/pool-loader.ts).
 */
export async function builtinPoolText(): Promise<string> {
  const pool = await loadPool([builtinPoolDir()]);
  const tools = pool.functions.map((f) => ({
    type: 'function',
    function: {
      name: f.name,
      description: f.description,
      parameters: f.parameters,
      ...(f.output ? { output: f.output } : {}),
      category: f.category,
    },
  }));
  return `${JSON.stringify(tools, null, 2)}\n`;
}
