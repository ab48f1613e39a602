/**
 * The exit code of one command line: 0 unless an action sets it. Errors are thrown instead, so the bin
 * prints them as one line and exits 1.
 */
export interface ExitCode {
  code: number;
}
