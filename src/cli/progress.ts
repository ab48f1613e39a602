import { type RunProgress } from '../contracts';
import { pauseLines } from './report';

/** One status line; redrawn in place on a terminal, printed on change otherwise (CI logs). */
export function renderProgress(p: RunProgress, startedAt: number, now: number): string {
  const done = p.completed + p.failed;
  const width = 30;
  const frac = p.planned > 0 ? done / p.planned : 0;
  const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
  const elapsed = (now - startedAt) / 1000;
  const rate = elapsed > 0 ? done / elapsed : 0;
  const eta = rate > 0 ? Math.round((p.planned - done) / rate) : undefined;
  const parts = [
    `[${bar}] ${done}/${p.planned}`,
    `${p.completed} ok`,
    `${p.failed} failed`,
    `${Math.max(0, p.inFlight - (p.waiting ?? 0))} running`,
    ...(p.waiting ? [`${p.waiting} WAITING for retry`] : []),
    p.stopping
      ? 'STOPPING'
      : p.paused
        ? p.pause
          ? `PAUSED (${p.pause.role ?? 'a role'} unfit)`
          : 'PAUSED'
        : p.phase,
  ];
  if (p.usage.requests + p.usage.cached > 0) {
    parts.push(
      `LLM ${p.usage.requests} req (+${p.usage.cached} cached) ${p.usage.inputTokens + p.usage.outputTokens} tok $${p.usage.costUsd.toFixed(4)}`,
    );
  }
  if (eta !== undefined && p.phase === 'conversations') parts.push(`eta ${eta}s`);
  return parts.join(' | ');
}

/** Non-terminal output prints a line only when the counts change, not for every token or second. */
function counts(line: string): string {
  return line.split(' | ').slice(0, 5).join(' | ');
}

export class ProgressPrinter {
  private last = '';
  private lastPause: string | undefined;
  private readonly startedAt = Date.now();
  constructor(private readonly tty = !!process.stderr.isTTY) {}

  update(p: RunProgress): void {
    // a run that paused itself says why once, on lines of their own (the status line only says PAUSED)
    if (p.pause?.reason !== this.lastPause) {
      this.lastPause = p.pause?.reason;
      if (p.pause) {
        const lines = pauseLines(p.runId, p.pause);
        process.stderr.write(`${this.tty ? '\r\x1b[K' : ''}${lines.join('\n')}\n`);
      }
    }
    const line = renderProgress(p, this.startedAt, Date.now());
    if (this.tty) process.stderr.write(`\r${line}\x1b[K`);
    else if (counts(line) !== counts(this.last)) process.stderr.write(`${line}\n`);
    this.last = line;
  }

  done(): void {
    if (this.tty) process.stderr.write('\n');
  }
}
