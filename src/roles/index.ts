import type { z } from 'zod';
import type { LlmRole } from '../core/config';
import type { Prompt } from '../llm/request';
import { backTranslate } from './back_translate';
import { dependencyJudge } from './dependency_judge';
import { errorJudge } from './error_judge';
import { forthTranslate } from './forth_translate';
import { negativeTeacher } from './negative_teacher';
import { nestedJudge } from './nested_judge';
import { promptFor } from './runner';
import { qualityJudge } from './quality_judge';
import { simulate } from './simulate';
import type { RoleSpec } from './spec';
import { student } from './student';
import { teacher } from './teacher';

/**
 * Every LLM role, by name: a role of the config (`LLM_ROLES`) without an entry here, or filed under
 * another role's name, does not compile.
 */
export const ROLES = {
  dependency_judge: dependencyJudge,
  nested_judge: nestedJudge,
  back_translate: backTranslate,
  forth_translate: forthTranslate,
  simulate,
  teacher,
  student,
  error_judge: errorJudge,
  negative_teacher: negativeTeacher,
  quality_judge: qualityJudge,
} satisfies { [N in LlmRole]: RoleSpec<N, z.ZodType, z.ZodType, unknown> };

export type RoleInput<N extends LlmRole> = z.output<(typeof ROLES)[N]['input']>;
export type RoleOutput<N extends LlmRole> = z.output<(typeof ROLES)[N]['output']>;

export function buildPrompt<N extends LlmRole>(role: N, input: RoleInput<N>): Prompt {
  return promptFor(ROLES[role], input);
}

export { runRole } from './runner';
