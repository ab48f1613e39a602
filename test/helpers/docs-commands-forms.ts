/**
 * From a documented command's words to what runs: a synopsis's shortest forms, its flags, and the placeholders
 * (`<run>`, `FILE`, `$R`...) filled with the test's values. Pure; see docs-commands.ts for what a command is.
 */

/** The word without its `<placeholder>` parts, whose `[`, `]` and `|` are not the synopsis's. */
const bare = (word: string): string => word.replace(/<[^<>]*>/g, '');

/**
 * The commands a synopsis stands for, shortest: `[optional]` parts dropped (nested too), `...` dropped, and one
 * command per alternative of `a|b` (a word) or `--x X | --y Y` (a standalone `|`: the words before the first flag,
 * then each side's flags). A plain command gives itself.
 */
export function shortestForms(args: string[]): string[][] {
  const kept: string[] = [];
  let depth = 0;
  for (const word of args) {
    const b = bare(word);
    const opens = /^\[*/.exec(b)![0].length;
    const closes = /\]*$/.exec(b)![0].length;
    if (depth === 0 && opens === 0 && !/^(\.\.\.|…)$/.test(b)) kept.push(word);
    depth += opens - closes;
    if (depth < 0) throw new Error(`unbalanced ] in "${args.join(' ')}"`);
  }
  if (depth !== 0) throw new Error(`unbalanced [ in "${args.join(' ')}"`);
  const bar = kept.indexOf('|');
  if (bar >= 0) {
    const left = kept.slice(0, bar);
    const firstFlag = left.findIndex((w) => w.startsWith('-'));
    const words = firstFlag < 0 ? left : left.slice(0, firstFlag);
    return [left, ...shortestForms([...words, ...kept.slice(bar + 1)])];
  }
  const alt = kept.findIndex((w) => bare(w).includes('|'));
  if (alt < 0) return [kept];
  return kept[alt]!.split('|').flatMap((choice) =>
    shortestForms([...kept.slice(0, alt), choice, ...kept.slice(alt + 1)]),
  );
}

/** Every `--flag` the words show, optional ones and each side of `--a|--b` included, once each. */
export function flagsShown(args: string[]): string[] {
  const flags = args.flatMap((w) => bare(w).match(/(?<![\w-])--[a-z][\w-]*/g) ?? []);
  return [...new Set(flags)];
}

/**
 * The words with their placeholders filled: `<name>` anywhere in a word by `values['<name>']`, a whole word
 * (`FILE`, `$R`, `uifail-1`) by `values[word]`. A `<name>` with no value is an error: a new placeholder in the
 * docs needs its test value.
 */
export function fillPlaceholders(args: string[], values: Record<string, string>): string[] {
  const value = (key: string): string | undefined => (Object.hasOwn(values, key) ? values[key] : undefined);
  return args.map((word) => {
    if (!word.startsWith('<')) word = value(word) ?? word;
    return word.replace(/<[^<>]+>/g, (p) => {
      const v = value(p);
      if (v === undefined) throw new Error(`no test value for the placeholder ${p}`);
      return v;
    });
  });
}
