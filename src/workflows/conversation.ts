import type { ConversationInput, ConversationResult } from '../contracts';
import { distill, judgeQuality, negatives, plan, translateTurns, writeRecord } from './conversation-phases';
import { ConversationSteps, TurnFailed } from './conversation-steps';

/**
 * One FSP -> one conversation (MAGNET stages 3-6): plan, then per turn back-translate -> forth-translate ->
 * execute, then distill each turn, judge its quality, sample negatives (with a student model), and write the
 * record. A step that fails for good leaves the conversation waiting for `magnet retry` (which re-runs just
 * that step, keeping every finished one) until `failedTurnWaitMs`; then it ends as failed with turn, stage and
 * reason recorded (see ConversationSteps).
 */
export async function conversation(input: ConversationInput): Promise<ConversationResult> {
  const c = new ConversationSteps(input);
  try {
    const planned = await plan(c);
    const turns = await translateTurns(c, planned.fsp);
    await distill(c, planned.fsp, turns);
    await judgeQuality(c, planned.fsp, turns);
    const negativeFailures = await negatives(c, planned, turns);
    return await c.completed(await writeRecord(c, planned, turns, negativeFailures));
  } catch (err) {
    if (err instanceof TurnFailed) return c.failed(err.failure);
    throw err;
  }
}
