/**
 * The main task queue (workflows and local activities); LLM activities go to `<queue>-llm-<provider>`
 * (core/config.ts llmTaskQueue). MAGNET_TASK_QUEUE lets several setups share one namespace.
 */
export const TASK_QUEUE = process.env.MAGNET_TASK_QUEUE ?? 'magnet';
