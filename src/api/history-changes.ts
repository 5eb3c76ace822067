import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { GrpcCode, grpcCode } from './temporal-errors';

/** What a workflow's history said happened: a workflow task completed (its state may have changed), or it closed. */
export type LiveChange = 'task' | 'closed';

/** Starts following one id's changes, calling `onChange` for each; the function returned stops it. */
export type ChangeSource = (id: string, onChange: (change: LiveChange) => void) => () => void;

const { EventType } = proto.temporal.api.enums.v1;
const closeEvents = new Set<number>([
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
]);

/**
 * The client's own limit on one long poll. The server ends each poll sooner, after its
 * `history.longPollExpirationInterval` (temporal/dynamic-config.yaml sets 30 s, Temporal's default is
 * 20 s, and the server stops at about 29 s in any case); this only ends a poll a lost connection hung.
 */
const POLL_DEADLINE_MS = 120_000;
const MAX_BACKOFF_MS = 30_000;

/**
 * Changes of workflows, from their histories: one long poll (GetWorkflowExecutionHistory with
 * `waitNewEvent`) per followed workflow, which the server answers when new events are written, so a
 * workflow where nothing happens costs one call per long-poll interval and nothing else. A state can
 * only change when a workflow task completes (a query reads what the last task decided), so only a
 * WorkflowTaskCompleted or a close event is reported. The first pages replay the history so far:
 * its tasks are reported too, which makes the follower's first report come after whatever changed
 * before it started. A continued-as-new workflow is followed into its next run.
 */
export function historyChanges(client: Client): ChangeSource {
  return (workflowId, onChange) => {
    const stop = new AbortController();
    void follow(client, workflowId, onChange, stop.signal);
    return () => stop.abort();
  };
}

async function follow(
  client: Client,
  workflowId: string,
  onChange: (change: LiveChange) => void,
  signal: AbortSignal,
): Promise<void> {
  let token: Uint8Array | undefined;
  let failures = 0;
  const report = (change: LiveChange) => {
    if (!signal.aborted) onChange(change);
  };
  while (!signal.aborted) {
    let page: proto.temporal.api.workflowservice.v1.IGetWorkflowExecutionHistoryResponse;
    // A signal per call: the SDK adds an abort listener to the signal of every call and never removes it.
    const call = new AbortController();
    const cancel = () => call.abort();
    signal.addEventListener('abort', cancel, { once: true });
    try {
      page = await client.connection.withAbortSignal(call.signal, () =>
        client.connection.withDeadline(Date.now() + POLL_DEADLINE_MS, () =>
          client.workflowService.getWorkflowExecutionHistory({
            namespace: client.options.namespace,
            execution: { workflowId },
            ...(token && { nextPageToken: token }),
            waitNewEvent: true,
            skipArchival: true,
          }),
        ),
      );
      failures = 0;
    } catch (err) {
      if (signal.aborted) return;
      const code = grpcCode(err);
      // Gone (deleted, or never there): the reader says so to whoever asks next.
      if (code === GrpcCode.NotFound) return report('closed');
      if (code === GrpcCode.DeadlineExceeded) continue;
      // A token the server no longer takes (the run was reset): read the history again from its start.
      if (code === GrpcCode.InvalidArgument) token = undefined;
      failures += 1;
      // Temporal away or throttling (each watched run holds one of its long-running request slots).
      await sleep(Math.min(MAX_BACKOFF_MS, 250 * 2 ** failures), signal);
      // What changed meanwhile is in the history the next poll returns; a read catches up anyway.
      report('task');
      continue;
    } finally {
      signal.removeEventListener('abort', cancel);
    }
    const events = page.history?.events ?? [];
    const types = new Set(events.map((event) => event.eventType ?? 0));
    if (types.has(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW)) {
      // The next run's history starts over; its first task is reported as its pages are read.
      token = undefined;
      continue;
    }
    if ([...types].some((type) => closeEvents.has(type))) return report('closed');
    if (types.has(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)) report('task');
    const next = page.nextPageToken;
    // No token: the server has nothing more to say about this workflow (it closed).
    if (!next || next.length === 0) return report('closed');
    token = next;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
