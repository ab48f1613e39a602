import path from 'node:path';
import type { FunctionDef, Pool } from '../core/pool';
import { builtinPoolDir } from '../io/pool-paths';
import { loadPool } from '../tools/pool-loader';
import { functionStateScope, sharedStateWarning, type StateScope } from '../tools/state-scope';

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
  /** Whether what it changes stays in its conversation (tools/state-scope). */
  state: StateScope;
  /** File and item, `MCP server <name>`, or the OpenAPI document and operation. */
  source: string;
  /** The name its source gave, when made safe for providers (core/names); absent otherwise. */
  renamedFrom?: string;
}

function sourceText(f: FunctionDef, cwd: string): string {
  if (f.impl?.kind === 'mcp') return `MCP server ${f.impl.server}`;
  const file = path.isAbsolute(f.source.file) ? path.relative(cwd, f.source.file) : f.source.file;
  return `${file.startsWith('..') ? f.source.file : file} ${f.source.item}`;
}

/** The pool's functions by category, then name. */
export function inspectPool(pool: Pool, cwd = process.cwd()): InspectedFunction[] {
  const sources = pool.sources ?? [];
  return [...pool.functions]
    .sort((a, b) => a.category.localeCompare(b.category) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((f) => {
      const executor = executorOf(f);
      return {
        name: f.name,
        category: f.category,
        executor,
        outputs: executor === 'simulated' || executor === 'unbound' ? 'simulated' : 'real',
        outputSchema: f.output ? (f.outputOrigin ?? 'declared') : 'none',
        state: functionStateScope(f, sources),
        source: sourceText(f, cwd),
        ...(f.originalName !== undefined ? { renamedFrom: f.originalName } : {}),
      };
    });
}

/** The warnings `pool inspect` prints after the listing: stdio MCP servers whose state is shared. */
export function inspectWarnings(pool: Pool): string[] {
  return (pool.sources ?? []).flatMap((s) => sharedStateWarning(s) ?? []);
}

const COLUMNS: [string, (f: InspectedFunction) => string][] = [
  ['NAME', (f) => f.name],
  ['CATEGORY', (f) => f.category],
  ['EXECUTOR', (f) => f.executor],
  ['OUTPUTS', (f) => f.outputs],
  ['OUTPUT SCHEMA', (f) => f.outputSchema],
  ['STATE', (f) => f.state],
  ['SOURCE', (f) => f.source],
  ['RENAMED FROM', (f) => f.renamedFrom ?? ''],
];

/** The listing: a header row and one row per function, the totals, then the warnings. */
export function formatInspection(fns: InspectedFunction[], warnings: readonly string[] = []): string {
  const rows = [COLUMNS.map(([h]) => h), ...fns.map((f) => COLUMNS.map(([, cell]) => cell(f)))];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const lines = rows.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
  const count = (p: (f: InspectedFunction) => boolean): number => fns.filter(p).length;
  const categories = new Set(fns.map((f) => f.category)).size;
  const renamed = count((f) => f.renamedFrom !== undefined);
  lines.push(
    `${fns.length} functions in ${categories} categories: ${count((f) => f.outputs === 'real')} with real outputs, ` +
      `${count((f) => f.outputs === 'simulated')} simulated; output schemas: ${count((f) => f.outputSchema === 'declared')} declared, ` +
      `${count((f) => f.outputSchema === 'inferred')} inferred, ${count((f) => f.outputSchema === 'none')} none` +
      (renamed > 0 ? `; ${renamed} renamed for providers` : ''),
  );
  return [...lines, ...warnings].join('\n');
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
