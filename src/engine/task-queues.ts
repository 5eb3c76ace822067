/** The task queue of the tools pool, next to the main one: workflows schedule tool steps there. */
export function toolsQueue(taskQueue: string): string {
  return `${taskQueue}-tools`;
}

/** The task queue of the agents pool: long agent loops never hold up tool steps. */
export function agentsQueue(taskQueue: string): string {
  return `${taskQueue}-agents`;
}
