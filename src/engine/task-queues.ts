/** The task queue of the tools pool, next to the main one: workflows schedule tool steps there. */
export function toolsQueue(taskQueue: string): string {
  return `${taskQueue}-tools`;
}
