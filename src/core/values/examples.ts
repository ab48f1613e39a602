/**
 * Example values a parameter's description quotes: "IANA time zone, e.g., 'America/New_York'", "such as
 * 'EUR' or 'USD'", "for example: \"km\"". Only quoted text after a cue word counts, so prose ("works like
 * a charm") gives nothing; a list of quoted values after one cue gives them all. The caller keeps those
 * that validate against the schema.
 */
const CUE =
  /(?:\be\.\s?g\.?|\bi\.\s?e\.?|\bfor (?:example|instance)|\bsuch as|\blike|\bexamples?)\s*[:,]?\s*/gi;
const QUOTED = /\s*(?:,|;|\/|\bor\b|\band\b)?\s*(?:'([^']*)'|"([^"]*)"|`([^`]*)`|‘([^’]*)’|“([^”]*)”)/y;

export function describedExamples(description: string | undefined): string[] {
  if (!description) return [];
  const out: string[] = [];
  for (const cue of description.matchAll(CUE)) {
    QUOTED.lastIndex = (cue.index ?? 0) + cue[0].length;
    for (let m = QUOTED.exec(description); m; m = QUOTED.exec(description)) {
      const text = m.slice(1).find((g) => g !== undefined);
      if (text !== undefined && text !== '' && !out.includes(text)) out.push(text);
    }
  }
  return out;
}
