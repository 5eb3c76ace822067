import { workflowInfo } from '@temporalio/workflow';

/** The memo key a foreach batch carries: the run it works for. */
export const batchOfMemo = 'troupeBatchOf';

/**
 * The run this workflow works for: its own id, or for a foreach batch the run that started it, so the
 * batch's steps use the run's workspace and ids (`<run>.<step>.<index>`) as if the run ran them itself.
 */
export function runIdOf(): string {
  const batchOf = workflowInfo().memo?.[batchOfMemo];
  return typeof batchOf === 'string' ? batchOf : workflowInfo().workflowId;
}
