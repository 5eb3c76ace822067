import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import { z } from 'zod';
import { runUrl, type Config } from '../config';
import { Spec, type Step } from '../engine/spec';
import { withInputDefaults } from '../engine/spec-inputs';
import { runSpecQuery } from '../workflows/run-messages';
import { HttpError } from './http-error';
import { withTimeout } from './with-timeout';

export const RunSpecResponse = z.object({
  runId: z.string(),
  spec: Spec,
  /** The run's page in Temporal Web. */
  temporalUrl: z.url(),
  /** The input the run started with, defaults filled in: the UI resolves step inputs' templates with it. */
  input: z.record(z.string(), z.unknown()).optional(),
});
export type RunSpecResponse = z.infer<typeof RunSpecResponse>;
export type SpecStep = Step;

const QUERY_TIMEOUT_MS = 5_000;

/**
 * The spec a run holds: the UI draws the graph (edges, agents, compensations) from it, since the run's
 * state names steps but not how they connect. The workflow answers with added and planned steps
 * included; when it cannot (no worker, a run from before the query existed), the spec it started with.
 */
export async function readRunSpec(
  client: Client,
  config: Config,
  runId: string,
  { withInput = false }: { withInput?: boolean } = {},
): Promise<RunSpecResponse> {
  const handle = client.workflow.getHandle(runId);
  const answer = async (spec: Spec, started?: StartedInput) => {
    const input = withInput ? (started ?? (await startedInput(client, config, runId))).input : undefined;
    return {
      runId,
      spec,
      temporalUrl: runUrl(config, runId),
      ...(input && { input: withInputDefaults(spec.inputs, input) }),
    };
  };
  try {
    return await answer(await withTimeout(handle.query(runSpecQuery), QUERY_TIMEOUT_MS));
  } catch (err) {
    if (err instanceof WorkflowNotFoundError)
      throw new HttpError(404, { message: `no run with id "${runId}"` });
  }
  const started = await startedInput(client, config, runId);
  return answer(Spec.parse(started.spec), started);
}

type StartedInput = { spec: unknown; input?: Record<string, unknown> };

/** What the run's first event holds: the spec and input the workflow started (or continued) with. */
async function startedInput(client: Client, config: Config, runId: string): Promise<StartedInput> {
  const { history } = await client.workflowService.getWorkflowExecutionHistory({
    namespace: config.TEMPORAL_NAMESPACE,
    execution: { workflowId: runId },
    maximumPageSize: 1,
  });
  const started = history?.events?.[0]?.workflowExecutionStartedEventAttributes;
  if (started?.workflowType?.name !== 'runWorkflow') {
    throw new HttpError(404, { message: `"${runId}" is not a Troupe run` });
  }
  return decodeFromPayloadsAtIndex<StartedInput>(
    client.options.loadedDataConverter,
    0,
    started.input?.payloads,
  );
}
