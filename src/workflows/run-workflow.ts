import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createToolActivities } from '../activities/tool-activities';
import { RunState } from '../engine/run-state';
import type { RunSnapshot } from '../engine/run-snapshot';
import { TroupeStatus } from '../engine/search-attributes';
import type { RunInput, Spec, Step } from '../engine/spec';
import { resolveTemplates } from '../engine/template';
import { runStateQuery } from './run-messages';

const { runTool } = proxyActivities<ReturnType<typeof createToolActivities>>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 3 },
});

export type RunWorkflowInput = { spec: Spec; input: RunInput };

/** Runs a spec's steps as activities, each as soon as its dependencies have completed. */
export async function runWorkflow({ spec, input }: RunWorkflowInput): Promise<RunSnapshot> {
  const run = new RunState(workflowInfo().workflowId, spec, input, new Date());
  setHandler(runStateQuery, () => run.snapshot());

  for (;;) {
    for (const step of run.readySteps()) void executeStep(run, step);
    if (run.running === 0) break;
    const seen = run.version;
    await condition(() => run.version !== seen);
  }

  run.finish(new Date());
  const snapshot = run.snapshot();
  upsertSearchAttributes([{ key: TroupeStatus, value: snapshot.status }]);
  if (snapshot.status !== 'completed') {
    throw ApplicationFailure.create({
      type: 'RunFailed',
      message: snapshot.error ?? `run ${snapshot.runId} failed`,
      nonRetryable: true,
      details: [snapshot],
    });
  }
  return snapshot;
}

async function executeStep(run: RunState, step: Step): Promise<void> {
  run.start(step.id, new Date());
  try {
    const args = resolveTemplates(step.with, run.templateContext());
    const result = await runTool({ stepId: step.id, tool: step.tool, args });
    run.complete(step.id, result.output, result.attempt, new Date());
  } catch (err) {
    run.fail(step.id, failureMessage(err), failureAttempt(err), new Date());
  }
}

function failureMessage(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}

function failureAttempt(err: unknown): number | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : undefined;
  const attempt = cause instanceof ApplicationFailure ? cause.details?.[0] : undefined;
  return typeof attempt === 'object' && attempt !== null && 'attempt' in attempt
    ? Number(attempt.attempt)
    : undefined;
}
