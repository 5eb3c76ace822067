import { activityInfo, Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { BlobRef, isBlobRef } from '../engine/blob-ref';
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
import { inlineBlobs, offloadLarge, type BlobStore } from './blob-store';

/**
 * A prompt or system text, or a reference to one in the blob store: a template such as
 * `${{ steps.draft.output.text }}` passes an earlier step's large output along as its reference.
 */
const TextOrRef = z.union([z.string(), BlobRef]);

/** What the router needs to plan one call: the step's routing fields plus its prompt, for the estimate. */
export const PlanModelRouteInput = ModelStepInput.extend({
  stepId: z.string().min(1),
  prompt: TextOrRef.optional(),
  system: TextOrRef.optional(),
  messages: z.array(ChatMessage).optional(),
  tools: z.array(ToolSpec).optional(),
});
export type PlanModelRouteInput = z.infer<typeof PlanModelRouteInput>;

/** callModel's input: one call to one model, its prompt and system text possibly blob references. */
export const CallModelActivityInput = CallModelInput.extend({
  prompt: TextOrRef.optional(),
  system: TextOrRef.optional(),
});
export type CallModelActivityInput = z.infer<typeof CallModelActivityInput>;

/** callModel's answer: for a run, a text over MODEL_OUTPUT_INLINE_BYTES (and such strings of its JSON) as references. */
export type CallModelActivityResult = Omit<CallModelResult, 'text'> & { text: string | BlobRef };

export type ModelActivityDeps = {
  runtime: ModelRuntime;
  /**
   * Where a run's large answers go, and where references in a prompt are read from: the workers'
   * `<dataDir>/blobs`, the store tool outputs and GET /api/blobs use. Without one, answers stay inline.
   */
  blobs?: BlobStore;
};

/** Strings in a run step's model answer longer than this travel as blob references, as tool outputs do. */
export const MODEL_OUTPUT_INLINE_BYTES = 128 * 1024;
/** The workflows whose model steps read references (templates resolve them where the store is read). */
const runWorkflowTypes = new Set(['runWorkflow', 'foreachBatch']);

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
export const createModelActivities = ({ runtime, blobs }: ModelActivityDeps) => ({
  /** Orders the capable, healthy models into a failover chain, recorded in history with its reasons. */
  planModelRoute: async (input: PlanModelRouteInput): Promise<RoutePlan> => {
    const parsed = PlanModelRouteInput.safeParse(input);
    if (!parsed.success) throw invalidInput('planModelRoute', parsed.error);
    const data = await readTexts(parsed.data, blobs, 'planModelRoute');
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
  callModel: async (input: CallModelActivityInput): Promise<CallModelActivityResult> => {
    const parsed = CallModelActivityInput.safeParse(input);
    if (!parsed.success) throw invalidInput('callModel', parsed.error);
    const call: CallModelInput = await readTexts(parsed.data, blobs, 'callModel');
    const context = Context.current();
    const info = activityInfo();
    // A run's step keeps a large answer in the blob store, as a tool's output is: history holds the
    // reference, and templates, size() and GET /api/blobs read the text back.
    const store = blobs && runWorkflowTypes.has(info.workflowType ?? '') ? blobs : undefined;
    const started = Date.now();
    let progress = { outputTokens: 0, characters: 0 };
    const beat = () =>
      context.heartbeat({ modelId: parsed.data.modelId, ...progress, elapsedMs: Date.now() - started });
    beat();
    const ticker = setInterval(beat, HEARTBEAT_EVERY_MS);
    let result: CallModelResult;
    try {
      result = await callOneModel(runtime, call, {
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
    if (!store) return result;
    const { text, json, ...rest } = result;
    return {
      ...rest,
      text: (await offloadLarge(text, store, MODEL_OUTPUT_INLINE_BYTES)) as string | BlobRef,
      ...(json !== undefined && { json: await offloadLarge(json, store, MODEL_OUTPUT_INLINE_BYTES) }),
    };
  },
});

export type ModelActivities = ReturnType<typeof createModelActivities>;

type Texts = { prompt?: string | BlobRef; system?: string | BlobRef };

/** The input with its prompt and system text each read back from the store when it is a reference. */
async function readTexts<T extends Texts & { stepId: string }>(
  input: T,
  blobs: BlobStore | undefined,
  activity: string,
): Promise<Omit<T, keyof Texts> & { prompt?: string; system?: string }> {
  const read = async (field: 'prompt' | 'system'): Promise<string | undefined> => {
    const value = input[field];
    if (!isBlobRef(value)) return value;
    if (!blobs) {
      throw ApplicationFailure.create({
        type: ModelFailureType.InvalidInput,
        message: `${activity} got ${field} of step "${input.stepId}" as blob reference ${value.$blob}, but this worker has no blob store to read it from`,
        nonRetryable: true,
      });
    }
    let content: unknown;
    try {
      content = await inlineBlobs(value, blobs);
    } catch (err) {
      throw ApplicationFailure.create({
        type: ModelFailureType.InvalidInput,
        message: `${activity} could not read ${field} of step "${input.stepId}" from blob ${value.$blob}: ${(err as Error).message}`,
        nonRetryable: true,
      });
    }
    // A list reference (a foreach step's outputs) becomes its JSON text.
    return typeof content === 'string' ? content : JSON.stringify(content);
  };
  const [prompt, system] = await Promise.all([read('prompt'), read('system')]);
  const { prompt: _prompt, system: _system, ...rest } = input;
  return { ...rest, ...(prompt !== undefined && { prompt }), ...(system !== undefined && { system }) };
}

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
