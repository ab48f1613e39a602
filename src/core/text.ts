/** Splits identifiers and prose into lower-case word tokens: "bookingId" / "booking_id" -> booking, id. */
export function tokens(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((t) => t.length > 0);
}

const STOP = new Set([
  'a',
  'an',
  'the',
  'of',
  'to',
  'for',
  'in',
  'on',
  'and',
  'or',
  'is',
  'be',
  'by',
  'with',
  'from',
  'as',
  'at',
  'it',
  'its',
  'this',
  'that',
  'if',
  'get',
  'set',
  'returns',
  'return',
  'value',
  'given',
  'specified',
]);

export function contentTokens(text: string): Set<string> {
  return new Set(tokens(text).filter((t) => !STOP.has(t) && t.length > 1));
}

export function jaccard(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 || b.size === 0) return 0;
  let inter = 0;
  for (const x of a) if (b.has(x)) inter++;
  return inter / (a.size + b.size - inter);
}

/** "booking_id" -> "booking id", for prose. */
export function words(identifier: string): string {
  return tokens(identifier).join(' ');
}
