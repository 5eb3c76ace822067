import { ActivityCancellationType } from '@temporalio/workflow';
import type { ActivityOptions, Duration, RetryPolicy } from '@temporalio/common';
import type { Retry, ToolStep } from '../../engine/spec';

export type StepCallOptions = Pick<ToolStep, 'retry' | 'timeout'>;

/** A step's `retry` as Temporal's retry policy; without one, 3 attempts with exponential backoff. */
export function retryPolicy(retry: Retry | undefined): RetryPolicy {
  return {
    initialInterval: retry?.backoff?.initial ?? '1 second',
    backoffCoefficient: retry?.backoff?.coefficient ?? 2,
    ...(retry?.backoff?.max && { maximumInterval: retry.backoff.max }),
    maximumAttempts: retry?.attempts ?? 3,
  };
}

/**
 * A step's activities run in their pool's task queue with the step's own retry and timeout (or the
 * pool's default); cancellation waits for the activity to stop.
 */
export function stepActivityOptions(
  taskQueue: string,
  { retry, timeout }: StepCallOptions,
  defaults: { timeout: Duration; heartbeat: Duration },
  summary: string,
): ActivityOptions {
  return {
    taskQueue,
    summary,
    startToCloseTimeout: timeout ?? defaults.timeout,
    heartbeatTimeout: defaults.heartbeat,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: retryPolicy(retry),
  };
}
