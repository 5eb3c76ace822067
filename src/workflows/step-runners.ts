import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  ChildWorkflowFailure,
  condition,
  executeChild,
  isCancellation,
  patched,
  proxyActivities,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import { layoutOfRun, patchedRun } from './history-patches';
import type { createToolActivities } from '../activities/tool-activities';
import type { ExpressionContext } from '../engine/expressions';
import { evaluateExpression, StoredValueNeeded } from '../engine/expressions';
import type { ChildRun, RunState } from '../engine/run-state';
import type { RunWorkflowInput } from './run-messages';
import type { PendingReview } from '../engine/shared-context';
import type { ModelUse, RunSnapshot } from '../engine/run-snapshot';
import type {
  AgentStep,
  ApprovalStep,
  Compensation,
  ModelStep,
  PlanStep,
  Step,
  SubworkflowStep,
  ToolStep,
} from '../engine/spec';
import { toolsQueue } from '../engine/task-queues';
import { runDetails, stepSummary } from '../engine/run-labels';
import { bareExpression } from '../engine/template';
import { runIdOf } from './run-id';
import { boundedStatePatch, resolveArgs } from './stored-templates';
import type { CallModelActivityResult } from '../activities/model-activities';
import type { ModelStepInput } from '../models/model-step-input';
import { holdBudget, holdRest, holdsBudget } from './budget-holds';
import { runModelStep, type ModelRoute } from './model-step';
import { mergedSpec } from './spec-changes';
import { plannedSteps, plansAuto, withPlanJoined } from '../engine/plan';
import { plannedAutoPatch } from './agent-choice';
import { stepActivityOptions, type StepCallOptions } from './steps/activity-options';
import { agentActivities, runAgentStep } from './steps/agent-step';
import { collaborates, runCollaborateStep } from './steps/collaborate-step';
import type { StepResult } from './steps/step-result';

export { compensateAgentStep } from './steps/agent-step';
export type { StepResult };

type ToolActivities = ReturnType<typeof createToolActivities>;
type ToolCallOptions = StepCallOptions;

function toolActivities(options: ToolCallOptions, summary: string): ToolActivities {
  // Tool steps run in the tools pool. No patch needed: the task queue is not part of replay's command
  // check (tests/fixtures/histories/*-before-tools-pool.json replay), and runs already in flight simply
  // schedule their next tool steps on the tools queue.
  return proxyActivities<ToolActivities>(
    stepActivityOptions(
      toolsQueue(workflowInfo().taskQueue),
      options,
      { timeout: '10 minutes', heartbeat: '10 seconds' },
      summary,
    ),
  );
}

/** Runs one step (or one item of a foreach step) and answers its output. */
export async function runStepOnce(
  run: RunState,
  step: Step,
  context: ExpressionContext,
): Promise<StepResult> {
  switch (step.kind) {
    case 'tool':
      return callTool(step, step, context);
    case 'wait':
      await sleep(step.with.duration);
      return { output: { waited: step.with.duration } };
    case 'approval':
      return { output: await awaitDecision(run, step) };
    case 'subworkflow':
      return { output: await runChild(run, step, context) };
    case 'model':
      return callModel(run, step, context);
    case 'agent':
      return collaborates(step) ? runCollaborateStep(run, step, context) : runAgentStep(run, step, context);
    case 'plan':
      return runPlanStep(run, step, context);
  }
}

/**
 * Asks the planner for a plan and adds its steps to the run, after this step. The plan is checked
 * whole before any of it joins the run: a bad plan fails this step and starts nothing.
 */
async function runPlanStep(run: RunState, step: PlanStep, context: ExpressionContext): Promise<StepResult> {
  const argsResolved = resolveArgs(step.with, context, step.id);
  const args = (
    argsResolved instanceof Promise ? await (argsResolved as Promise<unknown>) : argsResolved
  ) as PlanStep['with'];
  const planner: AgentStep = {
    id: step.id,
    kind: 'agent',
    agent: args.agent,
    dependsOn: step.dependsOn,
    ...(step.timeout && { timeout: step.timeout }),
    ...(step.retry && { retry: step.retry }),
    with: {
      task: args.goal,
      ...(args.repo && { repo: args.repo }),
      context: { maxSteps: args.maxSteps, ...(args.agents && { agents: args.agents }) },
    },
  };
  const planned = await runAgentStep(run, planner, context);
  const answer = (planned.output as { output?: unknown }).output;
  const auto = plansAuto(answer) && patched(plannedAutoPatch);
  const result = plannedSteps({ ...step, with: args }, answer, { auto });
  const problems = result.ok ? addPlannedSteps(run, step.id, result.steps) : result.problems;
  if (!result.ok || problems.length > 0) {
    const kept: KeptOnFailure = {
      keptOnFailure: true,
      output: { goal: args.goal, answer },
      model: planned.model,
    };
    throw ApplicationFailure.create({
      type: 'InvalidPlan',
      message: `the plan for "${args.goal.slice(0, 80)}" cannot run: ${problems.join('; ')}`,
      details: [kept],
      nonRetryable: true,
    });
  }
  const steps = result.steps.map(({ id, agent, needs, dependsOn, description }) => ({
    id,
    agent,
    ...(needs && { needs }),
    task: description,
    dependsOn,
  }));
  return { output: { goal: args.goal, steps }, ...(planned.model && { model: planned.model }) };
}

/** Adds a plan's steps to the run, or answers why they cannot join it (nothing is added then). */
function addPlannedSteps(run: RunState, planStepId: string, planned: AgentStep[]): string[] {
  const taken = planned.filter((added) => run.spec.steps.some((existing) => existing.id === added.id));
  if (taken.length > 0) return taken.map((added) => `step "${added.id}" is already in the run`);
  try {
    run.replaceSpec(mergedSpec(run, withPlanJoined(run.spec, planStepId, planned)));
    return [];
  } catch (err) {
    return [(err as Error).message];
  }
}

/**
 * Puts a parallel write to the reviewer agent (the `reviewer` policy): approve keeps the later value,
 * reject puts the earlier one back. Runs before the writing step counts as complete.
 */
export async function reviewWrite(
  run: RunState,
  step: Step,
  review: PendingReview,
  index: number,
): Promise<void> {
  const spend = run.spec.budget && { limitUsd: run.spec.budget.usd, spentUsd: run.costUsd };
  const result = await agentActivities({}, `${step.id}_review${index} · reviewer`).runAgent({
    runId: runIdOf(),
    stepId: `${step.id}_review${index}`,
    agent: 'reviewer',
    task:
      `Steps "${review.earlier.stepId}" and "${review.later.stepId}" wrote the shared-context key "${review.key}" in parallel. ` +
      `Approve to keep the later value, or reject to keep the earlier one.`,
    context: { key: review.key, earlier: review.earlier, later: review.later },
    ...(spend && { budget: spend }),
  });
  run.addCost(result.costUsd);
  const verdict = result.output as { verdict?: string; reasons?: string[] };
  run.settleReview(review, verdict.verdict === 'approve', (verdict.reasons ?? []).join('; '), new Date());
}

async function callModel(run: RunState, step: ModelStep, context: ExpressionContext): Promise<StepResult> {
  const argsResolved = resolveArgs(step.with, context, step.id);
  const args = (
    argsResolved instanceof Promise ? await (argsResolved as Promise<unknown>) : argsResolved
  ) as ModelStepInput;
  const budget = run.spec.budget && { limitUsd: run.spec.budget.usd, spentUsd: run.costUsd };
  const holds = holdsBudget(run);
  const { result, route } = await runModelStep(args, {
    stepId: step.id,
    runId: runIdOf(),
    ...(holds ? { hold: (estimateUsd: number) => holdBudget(run, estimateUsd) } : budget && { budget }),
    ...(step.timeout && { callTimeout: step.timeout }),
  });
  if (!route.settled) run.addCost(route.costUsd);
  return {
    output: {
      text: result.text,
      ...(result.json !== undefined && { json: result.json }),
      model: result.modelId,
    },
    model: modelUse(route, result),
  };
}

function modelUse(route: ModelRoute, result?: CallModelActivityResult): ModelUse {
  return {
    modelId: result?.modelId ?? route.chosen ?? 'none',
    provider: result?.provider ?? '',
    inputTokens: result?.usage.inputTokens ?? 0,
    outputTokens: result?.usage.outputTokens ?? 0,
    costUsd: route.costUsd,
    reason: route.reason,
    attempts: route.attempts.map(({ modelId, provider, outcome, error }) => ({
      modelId,
      provider,
      outcome,
      ...(error && { error }),
    })),
  };
}

/**
 * What a failed model step still spent, and its route: a model failure carries the route in its
 * details, so the step record says which models were tried and why each failed.
 */
/**
 * What a step that failed inside the workflow, after its activities had done their work, keeps on its
 * record: a rejected plan keeps the planner's answer and what the planner cost (already counted).
 */
export type KeptOnFailure = { keptOnFailure: true; output: unknown; model: ModelUse | undefined };

export function keptOnFailure(err: unknown): KeptOnFailure | undefined {
  if (!(err instanceof ApplicationFailure)) return undefined;
  const kept = err.details?.[0] as Partial<KeptOnFailure> | undefined;
  return typeof kept === 'object' && kept !== null && kept.keptOnFailure === true
    ? (kept as KeptOnFailure)
    : undefined;
}

export function failedModelUse(err: unknown): ModelUse | undefined {
  const route = failedRoute(err);
  return route && modelUse(route);
}

/** Whether a failed model step's attempts already counted their cost into the run (budget holds). */
export function failedCostSettled(err: unknown): boolean {
  return failedRoute(err)?.settled === true;
}

function failedRoute(err: unknown): ModelRoute | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (!(cause instanceof ApplicationFailure)) return undefined;
  const route = cause.details?.[0] as ModelRoute | undefined;
  if (typeof route !== 'object' || route === null || !Array.isArray(route.attempts)) return undefined;
  return route;
}

/**
 * The longest string a foreach item's output keeps inline; longer ones travel as blob references, so
 * a foreach of 200 items printing 100 KB each keeps its list of outputs (and the run state) small.
 */
const FOREACH_ITEM_INLINE_BYTES = 1024;

/** Runs a tool call: a step's own, or the compensation of a step. */
export async function callTool(
  options: ToolCallOptions,
  call: ToolStep | Compensation,
  context: ExpressionContext,
  stepId = 'id' in call ? call.id : 'compensation',
): Promise<StepResult> {
  const argsResolved = resolveArgs(call.with, context, stepId);
  const args = argsResolved instanceof Promise ? await (argsResolved as Promise<unknown>) : argsResolved;
  const summary = 'id' in call ? `${stepId} · ${call.tool}` : `${stepId} · undo · ${call.tool}`;
  const result = await toolActivities(options, summary).runTool({
    stepId,
    tool: call.tool,
    args,
    retryFailures: options.retry !== undefined,
    ...(context.index !== undefined && { index: context.index }),
    ...(!('id' in call) && { compensation: true }),
    ...(context.index !== undefined && { offloadAboveBytes: FOREACH_ITEM_INLINE_BYTES }),
    ...(runIdOf() !== workflowInfo().workflowId && { runId: runIdOf() }),
  });
  return { output: result.output, attempts: result.attempt };
}

async function awaitDecision(run: RunState, step: ApprovalStep) {
  const { timeout } = step.with;
  const decided = () => run.decision(step.id) !== undefined;
  if (timeout === undefined) {
    await condition(decided);
  } else if (!(await condition(decided, timeout))) {
    run.decide(step.id, { approved: step.with.default === 'approve', timedOut: true });
  }
  const decision = run.decision(step.id) ?? { approved: false };
  if (!decision.approved) {
    const why = decision.timedOut
      ? `nobody decided within ${timeout}, and the step's default is reject`
      : `rejected${decision.comment ? `: ${decision.comment}` : ''}`;
    throw ApplicationFailure.create({ type: 'Rejected', message: why, nonRetryable: true });
  }
  return decision;
}

async function runChild(run: RunState, step: SubworkflowStep, context: ExpressionContext): Promise<unknown> {
  const inputResolved = resolveArgs(step.with.input ?? {}, context, step.id);
  const input = (
    inputResolved instanceof Promise ? await (inputResolved as Promise<unknown>) : inputResolved
  ) as Record<string, unknown>;
  const suffix = context.index === undefined ? '' : `.${context.index}`;
  const workflowId = `${runIdOf()}.${step.id}${suffix}`;
  // Under a budget, the child may spend what is left of it, held while it runs; its spend is the parent's.
  const held = holdsBudget(run) ? await holdRest(run) : undefined;
  const spec = held
    ? {
        ...step.with.spec,
        budget: {
          usd: Math.min(step.with.spec.budget?.usd ?? Infinity, held.budget.limitUsd - held.budget.spentUsd),
        },
      }
    : step.with.spec;
  let snapshot: RunSnapshot;
  try {
    snapshot = await executeChild<(run: RunWorkflowInput) => Promise<RunSnapshot>>('runWorkflow', {
      workflowId,
      // A child takes its parent's layout: set only by parents started with one, so older parents
      // replay the child start they recorded.
      args: [{ spec, input, ...childLayout() }],
      staticSummary: stepSummary(step),
      staticDetails: runDetails(step.with.spec),
    });
  } catch (err) {
    held?.settle(childFailureCost(err));
    throw err;
  }
  held?.settle(snapshot.costUsd);
  if (run.v2 && snapshot.compensable)
    run.recordChild(step.id, { workflowId, input, compensable: snapshot.compensable });
  return snapshot.output;
}

/** What a failed or cancelled child run had spent, from the snapshot its failure carries. */
function childFailureCost(err: unknown): number {
  const cause = err instanceof ChildWorkflowFailure ? err.cause : err;
  const details =
    cause instanceof ApplicationFailure || cause instanceof CancelledFailure ? cause.details : [];
  const cost = (details?.[0] as Partial<RunSnapshot> | undefined)?.costUsd;
  return typeof cost === 'number' ? cost : 0;
}

/**
 * Undoes a completed child run: runs it again under its own id (so in its own workspace) in undo
 * mode, where it only runs the compensations of the steps it completed. Throws when one failed.
 */
export async function compensateChild(step: SubworkflowStep, child: ChildRun): Promise<void> {
  const snapshot = await executeChild<(run: RunWorkflowInput) => Promise<RunSnapshot>>('runWorkflow', {
    workflowId: child.workflowId,
    args: [{ spec: step.with.spec, input: child.input, undo: child.compensable, ...childLayout() }],
    staticSummary: stepSummary(step, `undo ${step.with.spec.name}`),
  });
  const failed = snapshot.compensations.filter((record) => record.status === 'failed');
  if (failed.length > 0) {
    throw ApplicationFailure.create({
      type: 'CompensationFailed',
      message: failed.map((record) => `${record.stepId}: ${record.error ?? 'failed'}`).join('; '),
      nonRetryable: true,
    });
  }
}

/** The items a foreach step fans out over: its expression must give a list. */
export function foreachItems(step: Step, context: ExpressionContext): unknown[] {
  const expression = bareExpression(step.foreach?.items ?? '[]');
  let items: unknown;
  try {
    items = evaluateExpression(expression, context);
  } catch (err) {
    if (!(err instanceof StoredValueNeeded)) throw err;
    if (patchedRun(boundedStatePatch)) {
      throw ApplicationFailure.create({
        type: 'InvalidForeach',
        message: `foreach.items: ${err.message}`,
        nonRetryable: true,
      });
    }
    items = evaluateExpression(expression, context, { plainRefs: true });
  }
  if (!Array.isArray(items)) {
    throw ApplicationFailure.create({
      type: 'InvalidForeach',
      message: `foreach.items must give a list, but ${step.foreach?.items} gave ${typeof items}`,
      nonRetryable: true,
    });
  }
  return items;
}

/** A failure's message as a user should read it: the cause of an activity or child failure. */
export function failureMessage(err: unknown): string {
  if (err instanceof ActivityFailure || err instanceof ChildWorkflowFailure) {
    return err.cause ? failureMessage(err.cause) : err.message;
  }
  if (err instanceof ApplicationFailure && err.type && namedFailures.has(err.type))
    return `${err.type}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

/** Failure types a user should see by name, because they say what to do: raise a budget, configure a provider. */
const namedFailures = new Set(['BudgetExceeded', 'NoModelAvailable', 'InvalidModelInput']);

/** How many attempts a failed activity made, when the activity said so. */
export function failureAttempt(err: unknown): number | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : undefined;
  const details: unknown = cause instanceof ApplicationFailure ? cause.details?.[0] : undefined;
  return typeof details === 'object' && details !== null && 'attempt' in details
    ? Number(details.attempt)
    : undefined;
}

export { isCancellation };

/** The layout a child run is started with: its parent's, when the parent has one. */
function childLayout(): { layout?: number } {
  const layout = layoutOfRun();
  return layout === undefined ? {} : { layout };
}
