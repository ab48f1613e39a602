/**
 * Ajv's warning for a format it does not check (`unknown format "uuid" ignored in schema at path ...`),
 * printed once per schema compiled: hundreds of lines per run before formats were checked (issue 22). No e2e
 * run may print one. magnetCli fails a CLI run whose stderr has one; processes whose output goes to a log
 * file (crash-procs) report theirs here when they exit; test/setup/e2e-stderr.ts watches this process's
 * stderr and console and, after each e2e file, fails it when anything was reported.
 */
export const UNKNOWN_FORMAT = /unknown format/i;

/** Lines reported by processes of this test file, with whose output they were. */
export const unknownFormatSeen: string[] = [];

/** The lines of `output` that report an unknown format. */
export function unknownFormatLines(output: string): string[] {
  return output.split('\n').filter((l) => UNKNOWN_FORMAT.test(l));
}

/** Throws naming the lines of `stderr` that report an unknown format (`what`: whose output it is). */
export function assertNoUnknownFormat(stderr: string, what: string): void {
  const lines = unknownFormatLines(stderr);
  if (lines.length > 0)
    throw new Error(
      `${what} printed ${lines.length} "unknown format" line(s) on stderr:\n${lines.slice(0, 5).join('\n')}`,
    );
}

/** Keeps the unknown-format lines of a process's output, for the check after the test file. */
export function reportUnknownFormat(output: string, what: string): void {
  for (const line of unknownFormatLines(output)) unknownFormatSeen.push(`${what}: ${line}`);
}
