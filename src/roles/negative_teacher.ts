import { z } from 'zod';
import { JudgedError } from './error_judge';
import { defineRole } from './spec';
import { acceptTurn, TeacherInput, TeacherOutput } from './teacher';

/** The rejected answer: the teacher words the turn around the student's (really executed) wrong calls. */
export const negativeTeacher = defineRole({
  name: 'negative_teacher',
  // 2: the task's shared parts first (roles/layout.ts)
  version: 2,
  system: `You are the assistant in a conversation with a user, with tools. Write the assistant's words for this turn around the given tool calls and results: a short sentence before each step of calls and a final answer based on those results. Write naturally, as if these were your own choices; never mention that calls were given to you, never say "hint".
Answer with JSON: {"steps": ["<text before step 1>", ...], "final": "<answer to the user>"}.`,
  input: TeacherInput.extend({
    /** What the wrong answer got wrong, so the regenerated turn shows exactly that mistake. */
    errors: z.array(JudgedError),
  }),
  output: TeacherOutput,
  accept: acceptTurn,
});
