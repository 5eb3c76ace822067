import {
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import ms from 'ms';
import { RunState, type CarriedState } from '../engine/run-state';
import { RunStatus, type RunSnapshot } from '../engine/run-snapshot';
import { TroupeCost, TroupeStatus } from '../engine/search-attributes';
import type { RunInput, Spec, Step } from '../engine/spec';
import { bareExpression } from '../engine/template';
import { evaluateExpression } from '../engine/expressions';
import {
  addStepsUpdate,
  decideUpdate,
  pauseUpdate,
  resumeUpdate,
  runStateQuery,
  type AddStepsRequest,
  type DecisionRequest,
} from './run-messages';
import { mergedSpec } from './spec-changes';
import {
  callTool,
  compensateAgentStep,
  reviewWrite,
  failedModelUse,
  keptOnFailure,
  failureAttempt,
  failureMessage,
  foreachItems,
  runStepOnce,
  type StepResult,
} from './step-runners';

export type RunWorkflowInput = { spec: Spec; input: RunInput; carried?: CarriedState };

/**
 * Interprets a spec: ready steps run concurrently up to maxParallel, outputs flow to dependents, and on
 * failure or cancellation the completed steps' compensations run in reverse completion order. History is
 * the checkpoint: a restarted worker replays it, and a long run continues as new carrying its state.
 */
export async function runWorkflow({ spec, input, carried }: RunWorkflowInput): Promise<RunSnapshot> {
  const run = new RunState(workflowInfo().workflowId, carried ?? { spec, input, startedAt: new Date() });
  const syncStatus = statusSync(run);
  registerHandlers(run);

  try {
    await drive(run, syncStatus);
  } catch (err) {
    if (!isCancellation(err)) throw err;
    run.cancel('the run was cancelled');
  }

  return CancellationScope.nonCancellable(async () => {
    syncStatus();
    await condition(() => run.active === 0);
    if (run.stopping) await compensate(run);
    run.finish(new Date());
    syncStatus();
    await condition(allHandlersFinished);
    const snapshot = run.snapshot();
    if (snapshot.status === RunStatus.Cancelled) throw new CancelledFailure(snapshot.error, [snapshot]);
    if (snapshot.status !== RunStatus.Completed) {
      throw ApplicationFailure.create({
        type: 'RunFailed',
        message: snapshot.error ?? `run ${snapshot.runId} failed`,
        nonRetryable: true,
        details: [snapshot],
      });
    }
    return snapshot;
  });
}

async function drive(run: RunState, syncStatus: () => void): Promise<void> {
  for (;;) {
    const draining = workflowInfo().continueAsNewSuggested;
    if (!draining) for (const step of run.takeReady(new Date())) void executeStep(run, step);
    syncStatus();
    if (run.stopping) return;
    if (run.active === 0) {
      if (draining) {
        await condition(allHandlersFinished);
        await continueAsNew<typeof runWorkflow>({ spec: run.spec, input: run.input, carried: run.carry() });
      }
      if (!run.isPaused && run.takeReady(new Date()).length === 0) return;
    }
    const seen = run.version;
    await condition(() => run.version !== seen);
  }
}

async function executeStep(run: RunState, step: Step): Promise<void> {
  const now = new Date();
  try {
    if (
      step.when !== undefined &&
      evaluateExpression(bareExpression(step.when), run.expressionContext()) !== true
    ) {
      run.skip(step.id, now);
      return;
    }
    if (step.kind === 'approval') {
      run.wait(step.id, now, {
        ...(step.with.message && { message: step.with.message }),
        ...(step.with.timeout && { deadline: new Date(now.getTime() + ms(step.with.timeout)).toISOString() }),
      });
    } else {
      run.start(step.id, now);
    }
    const result = step.foreach
      ? await runForeach(run, step)
      : await runStepOnce(run, step, run.expressionContext());
    const reviews = run.publish(step.id, result.output, new Date());
    for (const [index, review] of reviews.entries()) await reviewWrite(run, step, review, index + 1);
    run.complete(
      step.id,
      result.output,
      result.attempts,
      new Date(),
      result.model && { model: result.model },
    );
  } catch (err) {
    if (isCancellation(err)) {
      run.cancelStep(step.id, new Date());
      return;
    }
    const kept = keptOnFailure(err);
    const model = kept ? kept.model : failedModelUse(err);
    if (model && !kept) run.addCost(model.costUsd);
    run.fail(step.id, failureMessage(err), failureAttempt(err), new Date(), {
      ...(model && { model }),
      ...(kept && { output: kept.output }),
    });
  }
}

async function runForeach(run: RunState, step: Step): Promise<StepResult> {
  const items = foreachItems(step, run.expressionContext());
  const outputs: unknown[] = new Array(items.length);
  let next = 0;
  let done = 0;
  run.progress(step.id, { done, total: items.length });
  const lane = async () => {
    while (next < items.length && !run.stopping) {
      const index = next++;
      const result = await runStepOnce(run, step, run.expressionContext({ item: items[index], index }));
      outputs[index] = result.output;
      run.progress(step.id, { done: ++done, total: items.length });
    }
  };
  await Promise.all(Array.from({ length: Math.min(step.foreach?.parallelism ?? 1, items.length) }, lane));
  if (done < items.length)
    throw ApplicationFailure.create({ message: 'the run stopped before every item ran', nonRetryable: true });
  return { output: outputs };
}

/** The saga: compensations of completed steps, most recent first; one failing does not stop the rest. */
async function compensate(run: RunState): Promise<void> {
  for (const step of run.compensationPlan()) {
    const record = run.startCompensation(step.id, new Date());
    try {
      if (!step.compensate) {
        if (step.kind === 'agent') await compensateAgentStep(step, run.outputOf(step.id));
        run.endCompensation(record, new Date());
        continue;
      }
      const contexts = step.foreach
        ? foreachItems(step, run.expressionContext())
            .map((item, index) => run.expressionContext({ item, index }))
            .reverse()
        : [run.expressionContext()];
      for (const context of contexts) await callTool(step.compensate, step.compensate, context, step.id);
      run.endCompensation(record, new Date());
    } catch (err) {
      run.endCompensation(record, new Date(), failureMessage(err));
    }
  }
}

function registerHandlers(run: RunState): void {
  const mustBeLive = () => {
    if (run.stopping) throw new Error(`run ${run.runId} is ${run.status}; it can no longer be changed`);
  };
  setHandler(runStateQuery, () => run.snapshot());
  setHandler(
    pauseUpdate,
    () => {
      run.setPaused(true);
      return run.snapshot();
    },
    { validator: mustBeLive },
  );
  setHandler(
    resumeUpdate,
    () => {
      run.setPaused(false);
      return run.snapshot();
    },
    { validator: mustBeLive },
  );
  setHandler(
    decideUpdate,
    ({ stepId, approved, comment }) => {
      run.decide(stepId, { approved, ...(comment && { comment }) });
      return run.snapshot();
    },
    {
      validator: ({ stepId }: DecisionRequest) => {
        mustBeLive();
        run.validateDecision(stepId);
      },
    },
  );
  setHandler(
    addStepsUpdate,
    ({ steps }) => {
      run.replaceSpec(mergedSpec(run, steps));
      return run.snapshot();
    },
    {
      validator: ({ steps }: AddStepsRequest) => {
        mustBeLive();
        mergedSpec(run, steps);
      },
    },
  );
}

/**
 * Keeps the TroupeStatus and TroupeCost search attributes equal to the run's status and spend, writing
 * only on change, so history grows by a bounded number of events whatever the run does.
 */
function statusSync(run: RunState): () => void {
  const attributes = workflowInfo().typedSearchAttributes;
  let status = attributes.get(TroupeStatus);
  let cost = attributes.get(TroupeCost) ?? 0;
  return () => {
    const updates: SearchAttributeUpdatePair[] = [];
    if (run.status !== status) {
      status = run.status;
      updates.push({ key: TroupeStatus, value: status });
    }
    if (run.costUsd !== cost) {
      cost = run.costUsd;
      updates.push({ key: TroupeCost, value: cost });
    }
    if (updates.length > 0) upsertSearchAttributes(updates);
  };
}
