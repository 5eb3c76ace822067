import {
  ActivityFailure,
  ApplicationFailure,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  TimeoutFailure,
  workflowInfo,
} from '@temporalio/workflow';
import { isLean, patchedRun } from './history-patches';
import { TimeoutType, type Duration } from '@temporalio/common';
import type {
  CallModelActivityInput,
  CallModelActivityResult,
  ModelActivities,
  ModelFailureDetails,
} from '../activities/model-activities';
import {
  AttemptOutcome,
  configureHint,
  failsOver,
  ModelFailureType,
  outcomeOf,
} from '../models/model-failures';
import type { ModelStepInput, RoutingPolicy } from '../models/model-step-input';
import type { RouteCandidate, RoutePlan, SkippedModel } from '../models/router-policy';
import type { BudgetHold } from './budget-holds';

/** A model call's pool that picked nothing up within scheduleToStart is skipped for the rest of the chain. */
const skipUnansweredPoolPatch = 'skip-unanswered-pool';

/**
 * New runs plan a step's route in a local activity, on the worker running the workflow: its answer is
 * one marker in history, with no activity task and no workflow task of its own. Runs started before
 * replay the planModelRoute activity they scheduled.
 */
export const localRoutePatch = 'model-route-local';

/**
 * Under lean-history, a step reuses the route planned by an earlier step of the run with the same
 * routing (model, policy, requirements, output limit, schema, and prompt and system of the same
 * lengths, so the same estimate) if it was planned at most this long ago in workflow time: the
 * router is pure, and within the providers' health TTL (15 s by default) it would read the same
 * health again. Steps planning at once share one plan. A plan whose call failed over is not reused:
 * the next step plans again and reads the breakers afresh.
 */
export const PLAN_REUSE_MS = 15_000;

type SharedPlan = { key: string; stepId: string; at: number; plan: Promise<RoutePlan> };

/** The run's reusable plans, by routing key (module state is per workflow execution). */
const sharedPlans = new Map<string, SharedPlan>();

/** What a fresh plan for these args would depend on; undefined where a plan is not shared. */
function routingKey(args: ModelStepInput, ctx: ModelStepContext): string | undefined {
  if (!isLean() || ctx.planTaskQueue) return undefined;
  // A prompt passed as a blob reference is read in the activity: its length is not known here.
  const prompt: unknown = args.prompt;
  const system: unknown = args.system;
  if (typeof prompt !== 'string' || (system !== undefined && typeof system !== 'string')) return undefined;
  return JSON.stringify([
    args.model ?? null,
    args.policy ?? null,
    args.requires ?? null,
    args.maxTokens ?? null,
    args.schema ?? null,
    prompt.length,
    system?.length ?? null,
  ]);
}

/** The step's plan: another step's recent one with the same routing key, or a new one. */
async function planFor(
  plan: () => Promise<RoutePlan>,
  args: ModelStepInput,
  ctx: ModelStepContext,
): Promise<{ plan: RoutePlan; shared?: SharedPlan }> {
  const key = routingKey(args, ctx);
  if (key === undefined) return { plan: await plan() };
  const now = new Date().getTime();
  const known = sharedPlans.get(key);
  if (known && now - known.at <= PLAN_REUSE_MS) {
    try {
      return { plan: await known.plan, shared: known };
    } catch {
      // The other step's planning failed (or was cancelled with it): this step plans for itself.
    }
  }
  const entry: SharedPlan = { key, stepId: ctx.stepId, at: now, plan: plan() };
  sharedPlans.set(key, entry);
  try {
    return { plan: await entry.plan, shared: entry };
  } catch (err) {
    forget(entry);
    throw err;
  }
}

function forget(entry: SharedPlan | undefined): void {
  if (entry && sharedPlans.get(entry.key) === entry) sharedPlans.delete(entry.key);
}

export type ModelStepContext = {
  stepId: string;
  /** Defaults to the workflow id. */
  runId?: string;
  agent?: string;
  /** What the run may still spend; every attempt is checked against it before it reaches a model. */
  budget?: { limitUsd: number; spentUsd: number };
  /**
   * Holds a call's estimate of the run's budget before it starts (in place of `budget`); each
   * attempt settles its own cost, so the caller adds none of it again.
   */
  hold?: (estimateUsd: number) => Promise<BudgetHold>;
  /** Where planModelRoute runs; defaults to the workflow's own task queue. */
  planTaskQueue?: string;
  /** startToCloseTimeout of one model call (default 10 minutes). */
  callTimeout?: Duration;
  /** Attempts per model when it answers 429 (default 3), each after its Retry-After. */
  rateLimitAttempts?: number;
  /**
   * How long a call may wait for a worker of its model's pool to pick it up (default 10 seconds); past
   * it, the call fails over to the next model, so a stopped pool never leaves a step waiting forever.
   */
  scheduleToStartTimeout?: Duration;
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
  /** The attempts settled their costs into the run as they ended (under budget holds). */
  settled?: boolean;
};

/** The answer's text (and long strings of its JSON) may be blob references: see callModel. */
export type ModelStepResult = { result: CallModelActivityResult; route: ModelRoute };

/**
 * Runs a model step: plans the failover chain in a local activity (so live health and breakers are read
 * once and recorded in history), then calls each candidate on its own task queue until one answers.
 * Failovers happen here, not inside the activity, so each attempt is visible in Temporal Web.
 */
export async function runModelStep(args: ModelStepInput, ctx: ModelStepContext): Promise<ModelStepResult> {
  const runId = ctx.runId ?? workflowInfo().workflowId;
  const routeOptions = {
    startToCloseTimeout: '30 seconds',
    retry: { maximumAttempts: 3, initialInterval: '1 second' },
    summary: `${ctx.stepId} · route`,
  } as const;
  // A route planned on another task queue stays an activity: a local one runs on this worker.
  const { planModelRoute } =
    !ctx.planTaskQueue && patchedRun(localRoutePatch)
      ? proxyLocalActivities<ModelActivities>(routeOptions)
      : proxyActivities<ModelActivities>({
          ...(ctx.planTaskQueue && { taskQueue: ctx.planTaskQueue }),
          ...routeOptions,
        });
  let plan: RoutePlan;
  let shared: SharedPlan | undefined;
  try {
    ({ plan, shared } = await planFor(() => planModelRoute({ stepId: ctx.stepId, ...args }), args, ctx));
  } catch (err) {
    if (isCancellation(err)) throw err;
    const { type, message } = describeFailure(err);
    throw ApplicationFailure.create({ type, message, nonRetryable: true });
  }
  const planReason =
    shared && shared.stepId !== ctx.stepId
      ? `${plan.reason} (planned for step ${shared.stepId})`
      : plan.reason;

  const attempts: ModelRouteAttempt[] = [];
  let spentUsd = 0;
  const pickUpWithin = patchedRun('model-call-schedule-to-start')
    ? (ctx.scheduleToStartTimeout ?? '10 seconds')
    : undefined;
  // A pool that did not pick one call up will not pick up the next: its other models are skipped.
  const unanswered = new Map<string, string>();
  for (const candidate of plan.chain) {
    const silent = unanswered.get(candidate.taskQueue);
    if (silent && patchedRun(skipUnansweredPoolPatch)) {
      attempts.push({
        modelId: candidate.modelId,
        provider: candidate.provider,
        outcome: AttemptOutcome.Timeout,
        error: `skipped: ${silent}`,
      });
      continue;
    }
    const { callModel } = proxyActivities<ModelActivities>({
      taskQueue: candidate.taskQueue,
      summary: `${ctx.stepId} · ${candidate.modelId}`,
      ...(pickUpWithin && { scheduleToStartTimeout: pickUpWithin }),
      startToCloseTimeout: ctx.callTimeout ?? '10 minutes',
      heartbeatTimeout: '30 seconds',
      retry: {
        initialInterval: '1 second',
        backoffCoefficient: 2,
        maximumInterval: '30 seconds',
        maximumAttempts: ctx.rateLimitAttempts ?? 3,
      },
    });
    const held = ctx.hold ? await ctx.hold(candidate.estimatedUsd ?? 0) : undefined;
    const budget = held?.budget ?? ctx.budget;
    const input: CallModelActivityInput = {
      modelId: candidate.modelId,
      runId,
      stepId: ctx.stepId,
      ...(ctx.agent && { agent: ctx.agent }),
      prompt: args.prompt,
      ...(args.system !== undefined && { system: args.system }),
      ...(args.schema && { schema: args.schema }),
      ...(args.maxTokens !== undefined && { maxTokens: args.maxTokens }),
      ...(args.temperature !== undefined && { temperature: args.temperature }),
      // A held budget already counts this step's earlier attempts: each settled its cost.
      ...(budget && { budget: held ? budget : { ...budget, spentUsd: budget.spentUsd + spentUsd } }),
    };
    try {
      const result = await callModel(input);
      held?.settle(result.costUsd);
      spentUsd += result.costUsd;
      attempts.push({ modelId: candidate.modelId, provider: candidate.provider, outcome: AttemptOutcome.Ok });
      const failed = attempts.length > 1 ? ` after ${attempts.length - 1} failed attempt(s)` : '';
      return {
        result,
        route: {
          chosen: candidate.modelId,
          policy: plan.policy,
          reason: `chose ${candidate.modelId}${failed}: ${candidate.reason}. Plan: ${planReason}`,
          attempts,
          skipped: plan.skipped,
          costUsd: spentUsd,
          ...(ctx.hold && { settled: true }),
        },
      };
    } catch (err) {
      const { type, message, costUsd } = describeFailure(err, candidate, pickUpWithin);
      held?.settle(isCancellation(err) ? 0 : costUsd);
      if (isCancellation(err)) throw err;
      if (!failsOver(type)) throw ApplicationFailure.create({ type, message, nonRetryable: true });
      // A plan one of whose models just failed is planned afresh by the next step.
      forget(shared);
      spentUsd += costUsd;
      if (isScheduleToStart(err)) unanswered.set(candidate.taskQueue, message);
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
    reason: `every candidate failed. Plan: ${planReason}`,
    attempts,
    skipped: plan.skipped,
    costUsd: spentUsd,
    ...(ctx.hold && { settled: true }),
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

/** Whether no worker picked the call up within its scheduleToStart time. */
function isScheduleToStart(err: unknown): boolean {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof TimeoutFailure && cause.timeoutType === TimeoutType.SCHEDULE_TO_START;
}

/** The failure type and message behind an activity failure, whatever wrapped it. */
function describeFailure(
  err: unknown,
  candidate?: RouteCandidate,
  pickUpWithin?: Duration,
): { type: string; message: string; costUsd: number } {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    const details = cause.details?.[0] as Partial<ModelFailureDetails> | undefined;
    return { type: cause.type ?? 'Error', message: cause.message, costUsd: details?.costUsd ?? 0 };
  }
  if (cause instanceof TimeoutFailure && cause.timeoutType === TimeoutType.SCHEDULE_TO_START) {
    const pool = candidate?.local ? 'the local pool' : `the pool of ${candidate?.provider ?? 'this model'}`;
    return {
      type: ModelFailureType.Timeout,
      message: `${pool} did not answer: no worker picked the call up from task queue ${candidate?.taskQueue} within ${String(pickUpWithin)} (is that pool's worker running?)`,
      costUsd: 0,
    };
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
