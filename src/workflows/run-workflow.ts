import {
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { isLean, layoutOfRun, patchedRun, startLeanHistory, writesEndStatus } from './history-patches';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { RunState } from '../engine/run-state';
import { RunStatus, StepStatus, type Compensable, type RunSnapshot } from '../engine/run-snapshot';
import { withInputDefaults } from '../engine/spec-inputs';
import { TroupeAgents, TroupeCost, TroupeStatus } from '../engine/search-attributes';
import { agentsUsed } from '../engine/run-labels';
import type { Spec, Step } from '../engine/spec';
import {
  addStepsUpdate,
  decideUpdate,
  pauseUpdate,
  resumeUpdate,
  runSpecQuery,
  runStateQuery,
  type AddStepsRequest,
  type DecisionRequest,
  type RunWorkflowInput,
} from './run-messages';
import { outcomePatch, recordOutcomes } from './outcome-recording';
import { mergedSpec } from './spec-changes';
import {
  callTool,
  compensateAgentStep,
  compensateChild,
  reviewWrite,
  failedCostSettled,
  failedModelUse,
  keptOnFailure,
  failureAttempt,
  failureMessage,
  foreachItems,
  runStepOnce,
} from './step-runners';
import { runForeach } from './foreach-step';
import { choosesAgent, withChosenAgent } from './agent-choice';
import { boundedStatePatch } from './stored-templates';

/** The scheduler that launches every step a skip makes ready at once, and fails fast. */
const schedulerPatch = 'scheduler-v2';

/** How a run ends; under layout 2 Temporal's close status says it, so TroupeStatus is not written. */
const endStatuses = new Set<string>([RunStatus.Completed, RunStatus.Failed, RunStatus.Cancelled]);

export type { RunWorkflowInput };

/**
 * Interprets a spec: ready steps run concurrently up to maxParallel, outputs flow to dependents, and on
 * failure or cancellation the completed steps' compensations run in reverse completion order. History is
 * the checkpoint: a restarted worker replays it, and a long run continues as new carrying its state.
 */
export async function runWorkflow({
  spec,
  input,
  carried,
  undo,
  layout,
}: RunWorkflowInput): Promise<RunSnapshot> {
  const run = new RunState(
    workflowInfo().workflowId,
    // Under bounded-state the spec travels once, beside the carried state, not inside it too.
    carried
      ? { ...carried, spec: carried.spec ?? spec }
      : { spec, input: withInputDefaults(spec.inputs, input), startedAt: new Date() },
  );
  // First of all the run's patches: under it, the others it folds are taken as given (history-patches.ts).
  const lean = startLeanHistory(layout);
  const v2 = patchedRun(schedulerPatch);
  run.v2 = v2;
  run.refusesStoredValues = () => patchedRun(boundedStatePatch);
  // Through the SDK's workflow logger: a line per step change, never repeated on replay.
  run.onStepStatus = (stepId, record) =>
    log.info(`step ${stepId} ${record.status}`, {
      stepId,
      status: record.status,
      ...(run.agentOf(stepId) && { agent: run.agentOf(stepId) }),
      ...(record.model && { model: record.model.modelId }),
      ...(record.attempts !== undefined && { attempts: record.attempts }),
      ...(record.error && { error: record.error }),
    });
  const syncStatus = statusSync(run, lean);
  registerHandlers(run);

  if (undo) return undoRun(run, undo);
  try {
    await drive(run, syncStatus, v2);
  } catch (err) {
    if (!isCancellation(err)) throw err;
    run.cancel('the run was cancelled');
  }

  return CancellationScope.nonCancellable(async () => {
    syncStatus();
    await condition(() => run.active === 0);
    if (run.stopping) await compensate(run);
    run.finish(new Date());
    syncStatus(true);
    await condition(allHandlersFinished);
    const snapshot = run.snapshot();
    if (patchedRun(outcomePatch)) await recordOutcomes(snapshot, run.spec, { local: lean });
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

/**
 * Runs ready steps until none is left. Runs recorded before `scheduler-v2` replay the old loop (it
 * started steps that a skip made ready only at the next change); new runs launch every step that can
 * begin at once and cancel the steps in flight when one fails (fail-fast).
 */
async function drive(run: RunState, syncStatus: SyncStatus, v2: boolean): Promise<void> {
  const inFlight = new Map<string, CancellationScope>();
  const launch = (step: Step) => {
    if (!v2) return void executeStep(run, step);
    const scope = new CancellationScope();
    inFlight.set(step.id, scope);
    void scope.run(() => executeStep(run, step)).finally(() => inFlight.delete(step.id));
  };
  for (;;) {
    const draining = workflowInfo().continueAsNewSuggested;
    if (!draining) {
      const now = new Date();
      const ready = v2 ? run.launchReady(now) : run.takeReady(now).filter((step) => run.begin(step.id, now));
      for (const step of ready) launch(step);
    }
    syncStatus();
    if (run.stopping) {
      // A failing step cancels the steps in flight (fail-fast), or at least the approvals still
      // waiting: nobody should have to approve a run that has failed.
      for (const [stepId, scope] of inFlight) {
        if (run.failsFast || run.stepStatus(stepId) === StepStatus.Waiting) scope.cancel();
      }
      return;
    }
    if (run.active === 0) {
      if (draining) {
        await condition(allHandlersFinished);
        // The next run starts from these attributes: they carry the exact spend over.
        if (isLean()) syncStatus(true);
        const { spec, ...state } = run.carry();
        const carried = patchedRun(boundedStatePatch) ? state : { spec, ...state };
        const next = layoutOfRun();
        await continueAsNew<typeof runWorkflow>({
          spec,
          input: run.input,
          carried,
          ...(next !== undefined && { layout: next }),
        });
      }
      if (!run.isPaused && (v2 || run.takeReady(new Date()).length === 0)) return;
    }
    const seen = run.version;
    await condition(() => run.version !== seen);
  }
}

async function executeStep(run: RunState, step: Step): Promise<void> {
  try {
    const running = choosesAgent(step) ? await withChosenAgent(run, step) : step;
    const result = running.foreach
      ? await runForeach(run, running)
      : await runStepOnce(run, running, run.expressionContext());
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
    if (model && !kept && !failedCostSettled(err)) run.addCost(model.costUsd);
    run.fail(step.id, failureMessage(err), failureAttempt(err), new Date(), {
      ...(model && { model }),
      ...(kept && { output: kept.output }),
    });
  }
}

/**
 * Undo mode: a parent that failed undoes this child run, which completed earlier under the same id.
 * The completed steps are restored from what the child answered, and only their compensations run.
 */
async function undoRun(run: RunState, undo: Compensable[]): Promise<RunSnapshot> {
  for (const { stepId, output } of undo) run.complete(stepId, output, undefined, new Date());
  run.cancel(`undone: the parent run ${workflowInfo().parent?.workflowId ?? ''} failed`.trim());
  return CancellationScope.nonCancellable(async () => {
    await compensate(run);
    run.finish(new Date());
    return run.snapshot();
  });
}

/** The saga: compensations of completed steps, most recent first; one failing does not stop the rest. */
async function compensate(run: RunState): Promise<void> {
  for (const step of run.compensationPlan()) {
    const record = run.startCompensation(step.id, new Date());
    try {
      if (!step.compensate) {
        if (step.kind === 'agent')
          await compensateAgentStep(
            { ...step, agent: run.agentOf(step.id) ?? step.agent },
            run.outputOf(step.id),
          );
        if (step.kind === 'subworkflow') {
          for (const child of run.childRuns(step.id).reverse()) await compensateChild(step, child);
        }
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
  setHandler(runSpecQuery, () => run.spec);
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
 * Writes TroupeCost when the run's spend grew by at least this much since it was last written, or by
 * costStepShare of what was written, whichever is more (under lean-history): a run of many cheap
 * calls does not write an event per call, and one of many dear calls writes O(log spend) times.
 */
export const costStepUsd = 0.01;
export const costStepShare = 0.1;

/** Brings the search attributes up to date; `exact` writes the spend even if it grew by less than a step. */
type SyncStatus = (exact?: boolean) => void;

/**
 * Keeps the TroupeStatus and TroupeCost search attributes equal to the run's status and spend, and
 * (under scheduler-v2) TroupeAgents equal to the agents and tools its spec uses, which a plan or added
 * steps can change. Writes only on change, in one upsert, so history grows by a bounded number of
 * events whatever the run does. Under lean-history the spend is written with every status change, at
 * the end, before continuing as new, and in between only when it grew by a step (costStepUsd); under
 * layout 2 the status a run ends with is not written (Temporal's close status says it). The
 * live spend is in the run's state query, which GET /api/runs/:id and the console read.
 */
function statusSync(run: RunState, lean: boolean): SyncStatus {
  const attributes = workflowInfo().typedSearchAttributes;
  let status = attributes.get(TroupeStatus);
  let cost = attributes.get(TroupeCost) ?? 0;
  let agents = (attributes.get(TroupeAgents) ?? []).join(',');
  let spec: Spec | undefined;
  return (exact = false) => {
    const updates: SearchAttributeUpdatePair[] = [];
    const statusChanged = run.status !== status;
    if (statusChanged) {
      status = run.status;
      if (writesEndStatus() || !endStatuses.has(status)) updates.push({ key: TroupeStatus, value: status });
    }
    const step = Math.max(costStepUsd, Math.abs(cost) * costStepShare);
    const costDue = !lean || exact || statusChanged || Math.abs(run.costUsd - cost) >= step;
    if (run.costUsd !== cost && costDue) {
      cost = run.costUsd;
      updates.push({ key: TroupeCost, value: cost });
    }
    if (run.v2 && run.spec !== spec) {
      spec = run.spec;
      const used = agentsUsed(spec);
      if (used.join(',') !== agents) {
        agents = used.join(',');
        updates.push({ key: TroupeAgents, value: used });
      }
    }
    if (updates.length > 0) upsertSearchAttributes(updates);
  };
}
