/**
 * Function names model providers accept. OpenAI, Anthropic and Gemini all refuse a tool whose name breaks
 * `PROVIDER_NAME`, and real tool files are full of such names: BFCL's live set has `uber.ride` and
 * `math.factorial`, MCP servers name tools `fs.read`. BFCL itself, to query function-calling models, replaces
 * the dots with `_` and keeps the original name for its checker; magnet does the same (`safeName`) for pool
 * files and MCP servers, keeps the original on the function (`FunctionDef.originalName`) and gives it back where
 * the consumer expects it (the BFCL export, the record's `originalNames`). The chat exports (OpenAI, TRL, Hugging
 * Face, LLaMA-Factory) keep the safe name: that is what a provider and the trained model call.
 */

/** What OpenAI, Anthropic and Gemini accept as a tool name. */
export const PROVIDER_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The name a provider accepts for `name`: every character outside letters, digits, `_` and `-` (a dot, a
 * space, a slash, an accented letter: one per code point) becomes `_`, then the name is cut to 64 characters.
 * Pure and stable, so a pool loads with the same names on every worker and release; a name that already fits
 * is returned unchanged. Two names may come out the same (`uber.ride` and `uber_ride`): the pool loader
 * refuses that (core/pool mergeFunctions). An empty name stays empty (and is refused as a name).
 */
export function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/gu, '_').slice(0, 64);
}

/**
 * The record's `originalNames`: for each of `tools` renamed for providers, the name its source gave, by the
 * safe name; undefined when none was renamed (records without renames stay as they were).
 */
export function originalNamesOf(
  tools: readonly string[],
  pool: ReadonlyMap<string, { originalName?: string }>,
): Record<string, string> | undefined {
  const renamed = tools.flatMap((t) => {
    const original = pool.get(t)?.originalName;
    return original === undefined ? [] : [[t, original] as const];
  });
  return renamed.length > 0 ? Object.fromEntries(renamed) : undefined;
}
