import {
  ApplicationFailure,
  CancelledFailure,
  WorkflowFailedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionDescription,
} from '@temporalio/client';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import { RunSnapshot, RunStatus, StepStatus } from '../engine/run-snapshot';
import { TroupeCost } from '../engine/search-attributes';
import { runStateQuery } from '../workflows/run-messages';
import type { LiveChange } from './history-changes';
import { HttpError } from './http-error';
import { withTimeout } from './with-timeout';

const QUERY_TIMEOUT_MS = 5_000;

/**
 * Reads a run's state from Temporal, the only source of truth: a query while it runs, the recorded
 * result or failure once it has closed, and describe for a run the server closed (so closed runs
 * read fine with no worker up, and never answer 503).
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
    case 'CANCELLED': {
      const recorded = await recordedFailure(handle.result());
      if (recorded.snapshot) return recorded.snapshot;
      // A cancelled run's failure has no details to carry its state: ask a worker, and only when none
      // answers read the run as the server closed it.
      return queryRun(client, runId).catch(() => closedAtServer(client, description, recorded.reason));
    }
    default:
      return closedAtServer(client, description);
  }
}

/**
 * A run the server closed without the workflow's own final state (terminated, timed out, or failed
 * at the server, e.g. because a result exceeded the size limit), read from describe and the start
 * event alone, so it never needs a worker. The steps that did not finish are not known then; each
 * reads as the run ended: `cancelled`.
 */
async function closedAtServer(
  client: Client,
  description: WorkflowExecutionDescription,
  reason?: string,
): Promise<RunSnapshot> {
  const how = description.status.name.toLowerCase().replace('_', ' ');
  const input = await startInput(client, description);
  const steps = input?.spec?.steps ?? [];
  return RunSnapshot.parse({
    runId: description.workflowId,
    version: 0,
    name: input?.spec?.name ?? description.workflowId,
    status: description.status.name === 'TERMINATED' ? RunStatus.Cancelled : RunStatus.Failed,
    startedAt: description.startTime.toISOString(),
    ...(description.closeTime && { endedAt: description.closeTime.toISOString() }),
    steps: steps.map((step) => ({ id: step.id, kind: step.kind, status: StepStatus.Cancelled })),
    compensations: [],
    costUsd: description.typedSearchAttributes.get(TroupeCost) ?? 0,
    context: { version: 0, values: {}, writes: [], conflicts: [] },
    messages: [],
    error: `the run was ${how} at the Temporal server${reason ? `: ${reason}` : ''}`,
  });
}

/** The run's spec, from the first event of its history (one page of one event). */
async function startInput(
  client: Client,
  description: WorkflowExecutionDescription,
): Promise<{ spec?: { name?: string; steps?: { id: string; kind: string }[] } } | undefined> {
  const page = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId: description.workflowId, runId: description.runId },
    maximumPageSize: 1,
  });
  const payloads = page.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads;
  try {
    return await decodeFromPayloadsAtIndex(client.options.loadedDataConverter, 0, payloads);
  } catch {
    return undefined;
  }
}

/**
 * A run's state after its history showed a change: a workflow task completed, so the run is open and
 * its state query answers (one call); or it closed, so it reads as `readRun` reads a closed run.
 */
export function readRunChange(client: Client, runId: string, change: LiveChange): Promise<RunSnapshot> {
  return change === 'task' ? queryRun(client, runId) : readRun(client, runId);
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

/** The snapshot a failed or cancelled run carries in its failure details, or why it failed. */
async function recordedFailure(
  result: Promise<unknown>,
): Promise<{ snapshot?: RunSnapshot; reason?: string }> {
  try {
    await result;
  } catch (err) {
    const cause = err instanceof WorkflowFailedError ? err.cause : undefined;
    if (cause instanceof ApplicationFailure || cause instanceof CancelledFailure) {
      const parsed = RunSnapshot.safeParse(cause.details?.[0]);
      if (parsed.success) return { snapshot: parsed.data };
    }
    return { reason: (cause ?? err) instanceof Error ? ((cause ?? err) as Error).message : String(err) };
  }
  return {};
}
