import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  condition,
  executeChild,
  isCancellation,
  proxyActivities,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { ActivityOptions, Duration, RetryPolicy } from '@temporalio/common';
import type { createToolActivities } from '../activities/tool-activities';
import type { ExpressionContext } from '../engine/expressions';
import { evaluateExpression } from '../engine/expressions';
import type { RunState } from '../engine/run-state';
import type { PendingReview } from '../engine/shared-context';
import type { ModelUse, RunSnapshot } from '../engine/run-snapshot';
import type { AgentActivities } from '../activities/agent-activities';
import type { AgentStepInput, AgentStepResult } from '../agents/agent-step-input';
import type {
  AgentStep,
  ApprovalStep,
  Compensation,
  ModelStep,
  PlanStep,
  Retry,
  RunInput,
  Spec,
  Step,
  SubworkflowStep,
  ToolStep,
} from '../engine/spec';
import { agentsQueue, toolsQueue } from '../engine/task-queues';
import { bareExpression, resolveTemplates } from '../engine/template';
import type { CallModelResult } from '../models/model-caller';
import type { ModelStepInput } from '../models/model-step-input';
import { runModelStep, type ModelRoute } from './model-step';
import { mergedSpec } from './spec-changes';
import { plannedSteps, withPlanJoined } from '../engine/plan';

type ToolActivities = ReturnType<typeof createToolActivities>;
type ToolCallOptions = Pick<ToolStep, 'retry' | 'timeout'>;

/** A step's `retry` as Temporal's retry policy; without one, 3 attempts with exponential backoff. */
function retryPolicy(retry: Retry | undefined): RetryPolicy {
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
function stepActivityOptions(
  taskQueue: string,
  { retry, timeout }: ToolCallOptions,
  defaults: { timeout: Duration; heartbeat: Duration },
): ActivityOptions {
  return {
    taskQueue,
    startToCloseTimeout: timeout ?? defaults.timeout,
    heartbeatTimeout: defaults.heartbeat,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: retryPolicy(retry),
  };
}

function toolActivities(options: ToolCallOptions): ToolActivities {
  // Tool steps run in the tools pool. No patch needed: the task queue is not part of replay's command
  // check (tests/fixtures/histories/*-before-tools-pool.json replay), and runs already in flight simply
  // schedule their next tool steps on the tools queue.
  return proxyActivities<ToolActivities>(
    stepActivityOptions(toolsQueue(workflowInfo().taskQueue), options, {
      timeout: '10 minutes',
      heartbeat: '10 seconds',
    }),
  );
}

export type StepResult = { output: unknown; attempts?: number; model?: ModelUse };

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
      return { output: await runChild(step, context) };
    case 'model':
      return callModel(run, step, context);
    case 'agent':
      return runAgentStep(run, step, context);
    case 'plan':
      return runPlanStep(run, step, context);
  }
}

/** Agent activities run in the agents pool. */
function agentActivities(options: Pick<AgentStep, 'timeout' | 'retry'>): AgentActivities {
  return proxyActivities<AgentActivities>(
    stepActivityOptions(agentsQueue(workflowInfo().taskQueue), options, {
      timeout: '30 minutes',
      heartbeat: '30 seconds',
    }),
  );
}

async function runAgentStep(run: RunState, step: AgentStep, context: ExpressionContext): Promise<StepResult> {
  const args = resolveTemplates(step.with, context) as AgentStep['with'];
  const shared = context.context ?? {};
  const input = {
    runId: workflowInfo().workflowId,
    stepId: step.id,
    agent: step.agent,
    ...args,
    // The agent sees the shared context as of the version its step started from.
    ...(Object.keys(shared).length > 0 && { context: { ...args.context, sharedContext: shared } }),
  };
  const budget = () => run.spec.budget && { limitUsd: run.spec.budget.usd, spentUsd: run.costUsd };
  const call = async (request: AgentStepInput) => {
    const spend = budget();
    const result = await agentActivities(step).runAgent({ ...request, ...(spend && { budget: spend }) });
    // A resumed loop reports its whole cost, the part before the pause included.
    run.addCost(result.costUsd - (request.resume?.progress.costUsd ?? 0));
    return result;
  };
  let result = await call(input);
  // An agent that asks another pauses; the workflow runs the other agent as a child step, then resumes it.
  for (let asked = 1; result.pending && result.resume; asked++) {
    const { pending, resume } = result;
    const answer = await call({
      runId: input.runId,
      stepId: `${step.id}_ask${asked}`,
      agent: pending.agent,
      task: pending.question,
      context: { askedBy: step.agent },
    });
    const content = JSON.stringify(answer.output);
    run.recordMessage({
      stepId: step.id,
      from: step.agent,
      to: pending.agent,
      question: pending.question,
      answer: content,
      at: new Date().toISOString(),
    });
    result = await call({
      ...input,
      resume: { progress: resume, answer: { agent: pending.agent, content, toolCallId: pending.toolCallId } },
    });
  }
  const { resume: _resume, pending: _pending, ...output } = result;
  const tools = result.toolCalls.length;
  const refused = result.toolCalls.filter((call) => !call.ok).length;
  return {
    output,
    model: {
      modelId: result.modelId,
      provider: '',
      inputTokens: result.usage.inputTokens,
      outputTokens: result.usage.outputTokens,
      costUsd: result.costUsd,
      reason: `agent ${result.agent}: ${result.iterations} iteration(s), ${tools} tool call(s), ${refused} refused`,
      attempts: [],
    },
  };
}

/**
 * Asks the planner for a plan and adds its steps to the run, after this step. The plan is checked
 * whole before any of it joins the run: a bad plan fails this step and starts nothing.
 */
async function runPlanStep(run: RunState, step: PlanStep, context: ExpressionContext): Promise<StepResult> {
  const args = resolveTemplates(step.with, context) as PlanStep['with'];
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
  const result = plannedSteps({ ...step, with: args }, answer);
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
  const steps = result.steps.map(({ id, agent, dependsOn, description }) => ({
    id,
    agent,
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
  const result = await agentActivities({}).runAgent({
    runId: workflowInfo().workflowId,
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

/** Undoes an agent step the way its agent says: most restore the workspace snapshot taken before it. */
export async function compensateAgentStep(step: AgentStep, output: unknown): Promise<void> {
  const snapshotRef = (output as Partial<AgentStepResult> | undefined)?.snapshotRef;
  await agentActivities({}).compensateAgent({
    runId: workflowInfo().workflowId,
    stepId: step.id,
    agent: step.agent,
    ...(snapshotRef && { snapshotRef }),
    ...(step.with.repo && { repo: step.with.repo }),
  });
}

async function callModel(run: RunState, step: ModelStep, context: ExpressionContext): Promise<StepResult> {
  const args = resolveTemplates(step.with, context) as ModelStepInput;
  const budget = run.spec.budget && { limitUsd: run.spec.budget.usd, spentUsd: run.costUsd };
  const { result, route } = await runModelStep(args, {
    stepId: step.id,
    ...(budget && { budget }),
    ...(step.timeout && { callTimeout: step.timeout }),
  });
  run.addCost(route.costUsd);
  return {
    output: {
      text: result.text,
      ...(result.json !== undefined && { json: result.json }),
      model: result.modelId,
    },
    model: modelUse(route, result),
  };
}

function modelUse(route: ModelRoute, result?: CallModelResult): ModelUse {
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
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (!(cause instanceof ApplicationFailure)) return undefined;
  const route = cause.details?.[0] as ModelRoute | undefined;
  if (typeof route !== 'object' || route === null || !Array.isArray(route.attempts)) return undefined;
  return modelUse(route);
}

/** Runs a tool call: a step's own, or the compensation of a step. */
export async function callTool(
  options: ToolCallOptions,
  call: ToolStep | Compensation,
  context: ExpressionContext,
  stepId = 'id' in call ? call.id : 'compensation',
): Promise<StepResult> {
  const args = resolveTemplates(call.with, context);
  const result = await toolActivities(options).runTool({
    stepId,
    tool: call.tool,
    args,
    retryFailures: options.retry !== undefined,
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

async function runChild(step: SubworkflowStep, context: ExpressionContext): Promise<unknown> {
  const input = resolveTemplates(step.with.input ?? {}, context) as Record<string, unknown>;
  const suffix = context.index === undefined ? '' : `.${context.index}`;
  const snapshot = await executeChild<(run: { spec: Spec; input: RunInput }) => Promise<RunSnapshot>>(
    'runWorkflow',
    {
      workflowId: `${workflowInfo().workflowId}.${step.id}${suffix}`,
      args: [{ spec: step.with.spec, input }],
    },
  );
  return snapshot.output;
}

/** The items a foreach step fans out over: its expression must give a list. */
export function foreachItems(step: Step, context: ExpressionContext): unknown[] {
  const items = evaluateExpression(bareExpression(step.foreach?.items ?? '[]'), context);
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
