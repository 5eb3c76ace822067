import { activityInfo, Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import {
  CallModelInput,
  callOneModel,
  estimateInputTokens,
  ModelCallError,
  type CallModelResult,
} from '../models/model-caller';
import { configureHint, ModelFailureType } from '../models/model-failures';
import type { ModelRuntime } from '../models/model-runtime';
import { ModelStepInput } from '../models/model-step-input';
import { ChatMessage, ToolSpec } from '../models/provider-adapter';
import { worstBreakerState } from '../models/breaker-board';
import { planRoute, UnknownModelError, type RoutePlan } from '../models/router-policy';

/** What the router needs to plan one call: the step's routing fields plus its prompt, for the estimate. */
export const PlanModelRouteInput = ModelStepInput.extend({
  stepId: z.string().min(1),
  prompt: z.string().optional(),
  messages: z.array(ChatMessage).optional(),
  tools: z.array(ToolSpec).optional(),
});
export type PlanModelRouteInput = z.infer<typeof PlanModelRouteInput>;

export type ModelActivityDeps = { runtime: ModelRuntime };

/** The details a callModel failure carries, so the workflow can count what failed attempts cost. */
export type ModelFailureDetails = {
  modelId: string;
  attempt: number;
  costUsd: number;
  retryAfterMs?: number;
};

const HEARTBEAT_EVERY_MS = 1_000;

/**
 * The model activities. planModelRoute runs anywhere (it reads this process's health cache and
 * breakers); callModel runs on the chosen model's task queue, so Temporal applies that pool's limits.
 */
export const createModelActivities = ({ runtime }: ModelActivityDeps) => ({
  /** Orders the capable, healthy models into a failover chain, recorded in history with its reasons. */
  planModelRoute: async (input: PlanModelRouteInput): Promise<RoutePlan> => {
    const parsed = PlanModelRouteInput.safeParse(input);
    if (!parsed.success) throw invalidInput('planModelRoute', parsed.error);
    const { data } = parsed;
    const reports = await runtime.health.check();
    // This process may make no model calls (the orchestration pool): its own breakers stay closed, so
    // routing reads the board the model workers publish to, taking the worst view of each breaker.
    const board = (await runtime.board?.read().catch(() => undefined)) ?? {};
    const own = runtime.breakers.snapshot(runtime.catalogue.models.map((model) => model.id));
    const snapshot = {
      providers: Object.fromEntries(reports.map((report) => [report.provider, report])),
      breakers: Object.fromEntries(
        Object.entries(own).map(([id, state]) => [id, worstBreakerState(state, board[id])]),
      ),
    };
    let plan: RoutePlan;
    try {
      plan = planRoute(runtime.catalogue, snapshot, {
        policy: data.policy,
        model: data.model,
        capabilities: data.requires?.capabilities,
        contextTokens: data.requires?.contextTokens,
        inputTokens: estimateInputTokens(data),
        maxOutputTokens: data.maxTokens,
      });
    } catch (err) {
      if (err instanceof UnknownModelError) {
        throw ApplicationFailure.create({
          type: ModelFailureType.InvalidInput,
          message: err.message,
          nonRetryable: true,
        });
      }
      throw err;
    }
    if (plan.chain.length === 0) {
      const providers = reports
        .map(
          (report) =>
            `${report.provider} at ${report.baseUrl} (${report.status}${report.error ? `: ${report.error}` : ''})`,
        )
        .join('; ');
      throw ApplicationFailure.create({
        type: ModelFailureType.NoModelAvailable,
        message: `no model can take step "${data.stepId}": ${plan.reason}. Providers checked: ${providers}. ${configureHint}`,
        nonRetryable: true,
        details: [plan],
      });
    }
    return plan;
  },

  /**
   * Calls one model once. A 429 is retried by Temporal after Retry-After (when that is short enough);
   * every other failure is non-retryable here and the workflow fails over to the next candidate.
   */
  callModel: async (input: CallModelInput): Promise<CallModelResult> => {
    const parsed = CallModelInput.safeParse(input);
    if (!parsed.success) throw invalidInput('callModel', parsed.error);
    const context = Context.current();
    const info = activityInfo();
    const started = Date.now();
    let progress = { outputTokens: 0, characters: 0 };
    const beat = () =>
      context.heartbeat({ modelId: parsed.data.modelId, ...progress, elapsedMs: Date.now() - started });
    beat();
    const ticker = setInterval(beat, HEARTBEAT_EVERY_MS);
    try {
      return await callOneModel(runtime, parsed.data, {
        signal: context.cancellationSignal,
        onProgress: ({ outputTokens, characters }) => {
          progress = { outputTokens, characters };
        },
      });
    } catch (err) {
      if (!(err instanceof ModelCallError)) throw err;
      if (err.type === 'Cancelled') throw context.cancellationSignal.reason ?? err;
      const details: ModelFailureDetails[] = [
        {
          modelId: parsed.data.modelId,
          attempt: info.attempt,
          costUsd: err.costUsd,
          ...(err.retryAfterMs !== undefined && { retryAfterMs: err.retryAfterMs }),
        },
      ];
      if (err.type === ModelFailureType.RateLimited) {
        const wait = err.retryAfterMs;
        const waitable = wait === undefined || wait <= runtime.catalogue.routing.maxRateLimitWaitMs;
        throw ApplicationFailure.create({
          type: err.type,
          message: waitable
            ? err.message
            : `${err.message}; Retry-After ${wait} ms is longer than routing.maxRateLimitWaitMs, so failing over`,
          nonRetryable: !waitable,
          ...(waitable && wait !== undefined && { nextRetryDelay: wait }),
          details,
        });
      }
      throw ApplicationFailure.create({ type: err.type, message: err.message, nonRetryable: true, details });
    } finally {
      clearInterval(ticker);
    }
  },
});

export type ModelActivities = ReturnType<typeof createModelActivities>;

function invalidInput(activity: string, error: z.ZodError): ApplicationFailure {
  const problems = error.issues
    .map((issue) => `${issue.path.join('.') || '(input)'}: ${issue.message}`)
    .join('; ');
  return ApplicationFailure.create({
    type: ModelFailureType.InvalidInput,
    message: `${activity} got invalid input: ${problems}`,
    nonRetryable: true,
  });
}
