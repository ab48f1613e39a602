import { ApplicationFailure } from '@temporalio/common';
import { buildPrompt, ROLES } from '../../src/roles';
import type { TurnTask } from '../../src/roles/common';

/** A back_translate task with nothing in it: the smallest request a role makes (LLM client tests). */
export const EMPTY_TASK: TurnTask = {
  turnIndex: 0,
  turn: { functions: [], labels: ['walk'] },
  functions: [],
  history: [],
  previousQueries: [],
};

/** The back_translate prompt of EMPTY_TASK, or of it at another turn (another request). */
export const backTranslatePrompt = (turnIndex = 0): ReturnType<typeof buildPrompt> =>
  buildPrompt('back_translate', { ...EMPTY_TASK, turnIndex });

/** back_translate's answer check, as completeJson takes it. */
export const backTranslateCheck = (d: unknown) => {
  const r = ROLES.back_translate.output.safeParse(d);
  return r.success
    ? ({ ok: true, value: r.data } as const)
    : ({ ok: false, error: r.error.message } as const);
};

/** The ApplicationFailure `p` rejects with (anything else is rethrown; no rejection fails the test). */
export async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ApplicationFailure) return e;
    throw e;
  }
  throw new Error('expected a failure');
}
