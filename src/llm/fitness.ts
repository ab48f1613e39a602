/**
 * Whether a role's model can do the job: every answer of a role (valid at once or after its repair, or still
 * invalid after it) is noted per run, role and model in this worker process. A role whose answers keep failing
 * validation (UNFIT_IN_A_ROW in a row, or more than half of its first UNFIT_WINDOW) is unfit: the failure that
 * finds it so carries an `Unfit` in its details, and the workflows pause the run with its line, so that a
 * model that cannot do the job stops the spending early instead of failing every step at the price of two
 * requests. A valid answer of the role ends it. Counts are per worker process: each worker sees a share of
 * the requests, and a broken model trips every one of them.
 */

/** Answers in a row still invalid after their repair that make a role unfit. */
export const UNFIT_IN_A_ROW = 20;
/** A role's first answers, of which more than half invalid make it unfit. */
export const UNFIT_WINDOW = 50;

/** A role found unfit: what the run's pause line says. */
export interface Unfit {
  role: string;
  model: string;
  provider: string;
  /** The commonest validation problem of its failed answers (on one line, at most 160 characters). */
  problem: string;
  /** Failed answers among `of` answers counted (in a row: failed === of). */
  failed: number;
  of: number;
  /** One line: the role, the model, how often it failed and the commonest problem. */
  line: string;
}

interface Tally {
  /** Answers counted in the first UNFIT_WINDOW, and of them the failed ones. */
  seen: number;
  failedInWindow: number;
  inARow: number;
  problems: Map<string, number>;
  /** Found unfit and no valid answer since: every further failure says so too. */
  unfit: boolean;
}

const tallies = new Map<string, Tally>();

/** Who answered: the run (its ledger file is per run), the role, the provider and model. */
export interface Answerer {
  ledgerFile: string;
  role: string;
  providerName: string;
  model: string;
}

const keyOf = (a: Answerer): string => JSON.stringify([a.ledgerFile, a.role, a.providerName, a.model]);

function tallyOf(a: Answerer): Tally {
  let t = tallies.get(keyOf(a));
  if (!t) {
    t = { seen: 0, failedInWindow: 0, inARow: 0, problems: new Map(), unfit: false };
    tallies.set(keyOf(a), t);
  }
  return t;
}

/** A validation error as one short line, so that the same problem counts as one. */
export function problemOf(error: string): string {
  const short = error.trim().replace(/\s+/g, ' ');
  return short.length > 160 ? `${short.slice(0, 157)}...` : short;
}

/** A valid answer of the role (at once, after its repair or from the cache): it can do the job. */
export function noteValid(a: Answerer): void {
  const t = tallyOf(a);
  if (t.seen < UNFIT_WINDOW) t.seen++;
  t.inARow = 0;
  t.unfit = false;
}

/**
 * An answer still invalid after its repair. Returns the role's Unfit when this failure makes it unfit, or
 * when it was found unfit and has not answered validly since; else undefined.
 */
export function noteInvalid(a: Answerer, error: string): Unfit | undefined {
  const t = tallyOf(a);
  const problem = problemOf(error);
  t.problems.set(problem, (t.problems.get(problem) ?? 0) + 1);
  t.inARow++;
  if (t.seen < UNFIT_WINDOW) {
    t.seen++;
    t.failedInWindow++;
  }
  const inARow = t.inARow >= UNFIT_IN_A_ROW;
  const mostOfFirst = t.failedInWindow * 2 > UNFIT_WINDOW;
  if (!(t.unfit || inARow || mostOfFirst)) return undefined;
  t.unfit = true;
  const [failed, of] = mostOfFirst && !inARow ? [t.failedInWindow, t.seen] : [t.inARow, t.inARow];
  // the first answers are judged once: after a resume with the same model, only a new streak pauses again
  if (mostOfFirst) [t.seen, t.failedInWindow] = [UNFIT_WINDOW, 0];
  const commonest = [...t.problems].sort((x, y) => y[1] - x[1])[0]?.[0] ?? problem;
  const how = failed === of ? `${failed} answers in a row` : `${failed} of its first ${of} answers`;
  return {
    role: a.role,
    model: a.model,
    provider: a.providerName,
    problem: commonest,
    failed,
    of,
    line: `role ${a.role} (model ${a.model} on ${a.providerName}): ${how} failed validation after their repair; commonest problem: ${commonest}`,
  };
}

/** Forgets every tally (tests). */
export function resetFitness(): void {
  tallies.clear();
}
