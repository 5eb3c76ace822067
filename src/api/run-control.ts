import {
  ApplicationFailure,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import type { SpecIssue } from '../engine/spec-validation';
import { HttpError, invalidRequest } from './http-error';

/**
 * Sends a control update to a run and turns Temporal's answers into HTTP ones: a refused update (the
 * run cannot do that now) is 409, invalid steps are 400 with their paths, a run that is gone is 404/409.
 */
export async function controlRun<T>(
  client: Client,
  runId: string,
  send: (handle: WorkflowHandle) => Promise<T>,
): Promise<T> {
  const handle = client.workflow.getHandle(runId);
  try {
    return await send(handle);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw await notRunning(handle, runId, err);
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
      if (err.cause.type === 'InvalidSteps') {
        const issues = (err.cause.details?.[0] ?? []) as SpecIssue[];
        throw invalidRequest(issues.map((issue) => ({ ...issue, path: ['steps', ...issue.path.slice(1)] })));
      }
      throw new HttpError(409, { message: err.cause.message, cause: err });
    }
    if (err instanceof WorkflowUpdateFailedError)
      throw new HttpError(409, { message: err.cause?.message ?? err.message, cause: err });
    throw err;
  }
}

async function notRunning(handle: WorkflowHandle, runId: string, cause: unknown): Promise<HttpError> {
  try {
    const { status } = await handle.describe();
    return new HttpError(409, {
      message: `run "${runId}" has ended (${status.name.toLowerCase()}); it can no longer be changed`,
      cause,
    });
  } catch {
    return new HttpError(404, { message: `no run with id "${runId}"`, cause });
  }
}
