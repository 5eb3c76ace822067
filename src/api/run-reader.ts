import {
  ApplicationFailure,
  CancelledFailure,
  WorkflowFailedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionDescription,
} from '@temporalio/client';
import { RunSnapshot, RunStatus } from '../engine/run-snapshot';
import { runStateQuery } from '../workflows/run-messages';
import { HttpError } from './http-error';
import { withTimeout } from './with-timeout';

const QUERY_TIMEOUT_MS = 5_000;

/**
 * Reads a run's state from Temporal, the only source of truth: a query while it runs, the recorded
 * result or failure once it has closed (so closed runs read fine with no worker up).
 */
export async function readRun(client: Client, runId: string): Promise<RunSnapshot> {
  const handle = client.workflow.getHandle(runId);
  let description: WorkflowExecutionDescription;
  try {
    description = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError)
      throw new HttpError(404, { message: `no run with id "${runId}"` });
    throw err;
  }
  if (description.type !== 'runWorkflow') {
    throw new HttpError(404, { message: `"${runId}" is a ${description.type} workflow, not a Troupe run` });
  }
  switch (description.status.name) {
    case 'RUNNING':
      return queryRun(client, runId);
    case 'COMPLETED':
      return RunSnapshot.parse(await handle.result());
    case 'FAILED':
    case 'CANCELLED':
      return (await recordedFailure(handle.result())) ?? queryRun(client, runId);
    default: {
      const snapshot = await queryRun(client, runId);
      return {
        ...snapshot,
        status: RunStatus.Cancelled,
        error: `the run was ${description.status.name.toLowerCase()}`,
      };
    }
  }
}

async function queryRun(client: Client, runId: string): Promise<RunSnapshot> {
  try {
    const snapshot = await withTimeout(
      client.workflow.getHandle(runId).query(runStateQuery),
      QUERY_TIMEOUT_MS,
    );
    return RunSnapshot.parse(snapshot);
  } catch (err) {
    throw new HttpError(503, {
      message: `no worker answered the state query for run "${runId}" within ${QUERY_TIMEOUT_MS / 1000}s; start one with \`npm run worker\``,
      cause: err,
    });
  }
}

/** The snapshot a failed or cancelled run carries in its failure details. */
async function recordedFailure(result: Promise<unknown>): Promise<RunSnapshot | undefined> {
  try {
    await result;
  } catch (err) {
    const cause = err instanceof WorkflowFailedError ? err.cause : undefined;
    if (cause instanceof ApplicationFailure || cause instanceof CancelledFailure) {
      const parsed = RunSnapshot.safeParse(cause.details?.[0]);
      if (parsed.success) return parsed.data;
    }
  }
  return undefined;
}
