import { hash32 } from '../../core/rng';
import { Json, ToolError, ToolResult, ToolSet } from '../types';

/**
 * 32-bit FNV-1a (core's hash32). Tool sets derive every "random" value from it so that a call gives the
 * same result on every replay.
 */
export const fnv1a = hash32;

/** Deterministic fraction in [0, 1) for a list of labels. */
export function hashFraction(...parts: (string | number)[]): number {
  return fnv1a(parts.join('\u0000')) / 4294967296;
}

/** Deterministic integer in [min, max]. */
export function hashInt(min: number, max: number, ...parts: (string | number)[]): number {
  return min + Math.floor(hashFraction(...parts) * (max - min + 1));
}

export function round(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

/** Readable unique id such as "BK003-7F3A": the counter makes it unique, the hash makes it seed-specific. */
export function makeId(prefix: string, seed: number, counter: number): string {
  const tag = (fnv1a(`${prefix}/${seed}/${counter}`) & 0xffff).toString(16).toUpperCase().padStart(4, '0');
  return `${prefix}${String(counter).padStart(3, '0')}-${tag}`;
}

export type Args = Record<string, unknown>;

export function present(args: Args, name: string): boolean {
  return args[name] !== undefined && args[name] !== null && args[name] !== '';
}

export function argString(args: Args, name: string, fallback?: string): string {
  const v = args[name];
  if (!present(args, name)) {
    if (fallback !== undefined) return fallback;
    throw new ToolError(`missing required argument "${name}"`);
  }
  if (typeof v === 'string') {
    if (v.trim() === '') throw new ToolError(`argument "${name}" must not be empty`);
    return v.trim();
  }
  // Models sometimes send ids or codes as numbers; a real API would take them as text.
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new ToolError(`argument "${name}" must be a string`);
}

export function argNumber(
  args: Args,
  name: string,
  opts: { fallback?: number; min?: number; max?: number; integer?: boolean } = {},
): number {
  if (!present(args, name)) {
    if (opts.fallback !== undefined) return opts.fallback;
    throw new ToolError(`missing required argument "${name}"`);
  }
  const v = args[name];
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v.trim().replace(/,/g, '')) : NaN;
  if (!Number.isFinite(n))
    throw new ToolError(`argument "${name}" must be a number, got ${JSON.stringify(v)}`);
  if (opts.integer && !Number.isInteger(n)) throw new ToolError(`argument "${name}" must be a whole number`);
  if (opts.min !== undefined && n < opts.min)
    throw new ToolError(`argument "${name}" must be >= ${opts.min}`);
  if (opts.max !== undefined && n > opts.max)
    throw new ToolError(`argument "${name}" must be <= ${opts.max}`);
  return n;
}

export function argBoolean(args: Args, name: string, fallback?: boolean): boolean {
  if (!present(args, name)) {
    if (fallback !== undefined) return fallback;
    throw new ToolError(`missing required argument "${name}"`);
  }
  const v = args[name];
  if (typeof v === 'boolean') return v;
  const s = String(v).trim().toLowerCase();
  if (['true', 'yes', '1'].includes(s)) return true;
  if (['false', 'no', '0'].includes(s)) return false;
  throw new ToolError(`argument "${name}" must be true or false`);
}

/** Case-insensitive enum match; returns the canonical spelling. */
export function argEnum<T extends string>(args: Args, name: string, values: readonly T[], fallback?: T): T {
  const raw = argString(args, name, fallback);
  const hit = values.find((v) => v.toLowerCase() === raw.toLowerCase());
  if (!hit) throw new ToolError(`argument "${name}" must be one of ${values.join(', ')}; got "${raw}"`);
  return hit;
}

/** A list of numbers; also accepts a JSON or comma-separated string, as models often send. */
export function argNumberList(args: Args, name: string): number[] {
  let v = args[name];
  if (typeof v === 'string') {
    const s = v.trim();
    try {
      v = s.startsWith('[') ? JSON.parse(s) : s.split(/[,;\s]+/).filter((x) => x !== '');
    } catch {
      throw new ToolError(`argument "${name}" must be a list of numbers`);
    }
  }
  if (!Array.isArray(v)) throw new ToolError(`argument "${name}" must be a list of numbers`);
  if (v.length === 0) throw new ToolError(`argument "${name}" must not be empty`);
  return v.map((x, i) => argNumber({ [`${name}[${i}]`]: x }, `${name}[${i}]`));
}

/**
 * Handlers receive a private deep copy of the state and may mutate it freely; that copy becomes the new
 * state, so the caller's state object is never touched.
 */
export type Handler<S> = (state: S, args: Args) => { [k: string]: Json };

/** Parameter name -> values a user could give; see ToolSet.valueHints. */
export type Hints = Record<string, Json[]>;

/** Drops duplicate values (keeping the first) and then empty lists, so a listed key always has a value. */
function cleanHints(hints: Hints): Hints {
  const out: Hints = {};
  for (const [name, values] of Object.entries(hints)) {
    const seen = new Set<string>();
    const unique = values.filter((v) => {
      const key = JSON.stringify(v);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    if (unique.length > 0) out[name] = unique;
  }
  return out;
}

/** Strings in code-unit order: unlike localeCompare, the same on every machine. */
export function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function defineToolSet<S extends Json>(def: {
  name: string;
  initialState(seed: number): S;
  handlers: Record<string, Handler<S>>;
  /** Reads the state (must not mutate it); empty lists and duplicates are dropped from the result. */
  valueHints?(state: S): Hints;
}): ToolSet {
  const hints = def.valueHints;
  return {
    name: def.name,
    functions: Object.keys(def.handlers),
    initialState: def.initialState,
    // A state the tools cannot use has nothing to refer to, so it gets no hints rather than an error.
    valueHints: (state: Json): Hints =>
      hints && state && typeof state === 'object' && !Array.isArray(state)
        ? cleanHints(hints(state as S))
        : {},
    call(state: Json, name: string, args: Record<string, unknown>): ToolResult {
      const handler = Object.prototype.hasOwnProperty.call(def.handlers, name)
        ? def.handlers[name]
        : undefined;
      if (!handler) throw new ToolError(`unknown function "${name}" in tool set "${def.name}"`);
      if (!state || typeof state !== 'object' || Array.isArray(state)) {
        throw new ToolError(`invalid state for tool set "${def.name}"`);
      }
      const next = structuredClone(state) as S;
      const output = handler(next, args ?? {});
      return { output, state: next };
    },
  };
}
