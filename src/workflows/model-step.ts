import {
  ActivityFailure,
  ApplicationFailure,
  isCancellation,
  proxyActivities,
  TimeoutFailure,
  workflowInfo,
} from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { ModelActivities, ModelFailureDetails } from '../activities/model-activities';
import type { CallModelInput, CallModelResult } from '../models/model-caller';
import {
  AttemptOutcome,
  configureHint,
  failsOver,
  ModelFailureType,
  outcomeOf,
} from '../models/model-failures';
import type { ModelStepInput, RoutingPolicy } from '../models/model-step-input';
import type { SkippedModel } from '../models/router-policy';

export type ModelStepContext = {
  stepId: string;
  /** Defaults to the workflow id. */
  runId?: string;
  agent?: string;
  /** What the run may still spend; every attempt is checked against it before it reaches a model. */
  budget?: { limitUsd: number; spentUsd: number };
  /** Where planModelRoute runs; defaults to the workflow's own task queue. */
  planTaskQueue?: string;
  /** startToCloseTimeout of one model call (default 10 minutes). */
  callTimeout?: Duration;
  /** Attempts per model when it answers 429 (default 3), each after its Retry-After. */
  rateLimitAttempts?: number;
};

export type ModelRouteAttempt = {
  modelId: string;
  provider: string;
  outcome: AttemptOutcome;
  error?: string;
  costUsd?: number;
};

/** Why the step used the model it used: the plan, the chosen model, and every attempt on the way. */
export type ModelRoute = {
  chosen?: string;
  policy: RoutingPolicy;
  reason: string;
  attempts: ModelRouteAttempt[];
  skipped: SkippedModel[];
  /** Every attempt's cost, failed ones included. */
  costUsd: number;
};

export type ModelStepResult = { result: CallModelResult; route: ModelRoute };

/**
 * Runs a model step: plans the failover chain in an activity (so live health and breakers are read
 * once and recorded in history), then calls each candidate on its own task queue until one answers.
 * Failovers happen here, not inside the activity, so each attempt is visible in Temporal Web.
 */
export async function runModelStep(args: ModelStepInput, ctx: ModelStepContext): Promise<ModelStepResult> {
  const runId = ctx.runId ?? workflowInfo().workflowId;
  const { planModelRoute } = proxyActivities<ModelActivities>({
    ...(ctx.planTaskQueue && { taskQueue: ctx.planTaskQueue }),
    startToCloseTimeout: '30 seconds',
    retry: { maximumAttempts: 3, initialInterval: '1 second' },
  });
  let plan;
  try {
    plan = await planModelRoute({ stepId: ctx.stepId, ...args });
  } catch (err) {
    if (isCancellation(err)) throw err;
    const { type, message } = describeFailure(err);
    throw ApplicationFailure.create({ type, message, nonRetryable: true });
  }

  const attempts: ModelRouteAttempt[] = [];
  let spentUsd = 0;
  for (const candidate of plan.chain) {
    const { callModel } = proxyActivities<ModelActivities>({
      taskQueue: candidate.taskQueue,
      startToCloseTimeout: ctx.callTimeout ?? '10 minutes',
      heartbeatTimeout: '30 seconds',
      retry: {
        initialInterval: '1 second',
        backoffCoefficient: 2,
        maximumInterval: '30 seconds',
        maximumAttempts: ctx.rateLimitAttempts ?? 3,
      },
    });
    const input: CallModelInput = {
      modelId: candidate.modelId,
      runId,
      stepId: ctx.stepId,
      ...(ctx.agent && { agent: ctx.agent }),
      prompt: args.prompt,
      ...(args.system !== undefined && { system: args.system }),
      ...(args.schema && { schema: args.schema }),
      ...(args.maxTokens !== undefined && { maxTokens: args.maxTokens }),
      ...(args.temperature !== undefined && { temperature: args.temperature }),
      ...(ctx.budget && { budget: { ...ctx.budget, spentUsd: ctx.budget.spentUsd + spentUsd } }),
    };
    try {
      const result = await callModel(input);
      spentUsd += result.costUsd;
      attempts.push({ modelId: candidate.modelId, provider: candidate.provider, outcome: AttemptOutcome.Ok });
      const failed = attempts.length > 1 ? ` after ${attempts.length - 1} failed attempt(s)` : '';
      return {
        result,
        route: {
          chosen: candidate.modelId,
          policy: plan.policy,
          reason: `chose ${candidate.modelId}${failed}: ${candidate.reason}. Plan: ${plan.reason}`,
          attempts,
          skipped: plan.skipped,
          costUsd: spentUsd,
        },
      };
    } catch (err) {
      if (isCancellation(err)) throw err;
      const { type, message, costUsd } = describeFailure(err);
      if (!failsOver(type)) throw ApplicationFailure.create({ type, message, nonRetryable: true });
      spentUsd += costUsd;
      attempts.push({
        modelId: candidate.modelId,
        provider: candidate.provider,
        outcome: outcomeOf(type),
        error: message,
        ...(costUsd > 0 && { costUsd }),
      });
    }
  }

  const route: ModelRoute = {
    policy: plan.policy,
    reason: `every candidate failed. Plan: ${plan.reason}`,
    attempts,
    skipped: plan.skipped,
    costUsd: spentUsd,
  };
  const tried = attempts.map(
    (a) => `${a.modelId} on ${a.provider}: ${a.outcome} (${a.error ?? 'no detail'})`,
  );
  const overBudget = attempts.some((a) => a.outcome === AttemptOutcome.BudgetExceeded);
  throw ApplicationFailure.create({
    type: overBudget ? ModelFailureType.BudgetExceeded : ModelFailureType.NoModelAvailable,
    message: `step "${ctx.stepId}" got no answer from any model. Tried ${tried.join('; ')}.${overBudget ? '' : ` ${configureHint}`}`,
    nonRetryable: true,
    details: [route],
  });
}

/** The failure type and message behind an activity failure, whatever wrapped it. */
function describeFailure(err: unknown): { type: string; message: string; costUsd: number } {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    const details = cause.details?.[0] as Partial<ModelFailureDetails> | undefined;
    return { type: cause.type ?? 'Error', message: cause.message, costUsd: details?.costUsd ?? 0 };
  }
  if (cause instanceof TimeoutFailure) {
    return {
      type: ModelFailureType.Timeout,
      message: `the model activity timed out (${cause.timeoutType})`,
      costUsd: 0,
    };
  }
  return { type: 'Error', message: cause instanceof Error ? cause.message : String(cause), costUsd: 0 };
}
