import { UNKNOWN_FORMAT, unknownFormatSeen } from '../helpers/stderr';

/**
 * Every e2e test file (jest's setupFilesAfterEnv of the e2e project): no "unknown format" line reaches stderr,
 * neither from this process (in-process workers, pool loading, the CLI's functions called directly: watched
 * on process.stderr and console) nor from the magnet processes the helpers start (magnetCli fails at once;
 * crash-procs' processes report theirs when they exit). The output still goes where it went.
 */
const seen: string[] = [];
const note = (text: string): void => {
  for (const line of text.split('\n')) if (UNKNOWN_FORMAT.test(line)) seen.push(line);
};

const write = process.stderr.write.bind(process.stderr);
process.stderr.write = ((chunk: unknown, ...rest: unknown[]) => {
  note(String(chunk));
  return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
}) as typeof process.stderr.write;

for (const level of ['warn', 'error', 'log'] as const) {
  const original = console[level].bind(console);
  console[level] = (...args: unknown[]): void => {
    note(args.map(String).join(' '));
    original(...args);
  };
}

afterAll(() => {
  const lines = [...seen, ...unknownFormatSeen];
  if (lines.length > 0)
    throw new Error(
      `${lines.length} "unknown format" line(s) reached stderr in this e2e file:\n${lines.slice(0, 5).join('\n')}`,
    );
});
