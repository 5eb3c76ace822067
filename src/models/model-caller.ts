import { z } from 'zod';
import { utcDay } from './cost-ledger';
import { checkBudgets, costUsd, dayBudgetRefusal, estimateCallCostUsd, estimateTokens } from './model-cost';
import { AttemptOutcome, ModelFailureType, outcomeOf } from './model-failures';
import type { ModelRuntime } from './model-runtime';
import { JsonSchemaObject } from './model-step-input';
import { ChatMessage, ToolCall, ToolSpec, type StreamProgress } from './provider-adapter';
import { ProviderError, ProviderErrorKind } from './provider-error';
import { tokenWriter } from './token-stream';
import { withModelSpan } from '../observability/tracing';

/** One call to one catalogue model: the activity's input, so a Temporal payload. */
export const CallModelInput = z.strictObject({
  modelId: z.string().min(1),
  runId: z.string().min(1),
  stepId: z.string().min(1),
  agent: z.string().optional(),
  prompt: z.string().optional(),
  system: z.string().optional(),
  /** Earlier turns (an agent's conversation); `prompt`, when given, is appended as the last user turn. */
  messages: z.array(ChatMessage).optional(),
  tools: z.array(ToolSpec).optional(),
  schema: JsonSchemaObject.optional(),
  maxTokens: z.int().positive().optional(),
  temperature: z.number().min(0).max(2).optional(),
  /** The run's budget as the workflow knows it; checked before the call. */
  budget: z.strictObject({ limitUsd: z.number().min(0), spentUsd: z.number().min(0) }).optional(),
});
export type CallModelInput = z.infer<typeof CallModelInput>;

export const CallModelResult = z.object({
  text: z.string(),
  json: z.unknown().optional(),
  toolCalls: z.array(ToolCall).optional(),
  modelId: z.string(),
  provider: z.string(),
  usage: z.object({ inputTokens: z.int().min(0), outputTokens: z.int().min(0) }),
  costUsd: z.number().min(0),
  latencyMs: z.number().min(0),
  /** Local models: the seconds of compute the call took, since it cost nothing per token. */
  computeSeconds: z.number().min(0).optional(),
  simulated: z.boolean().optional(),
});
export type CallModelResult = z.infer<typeof CallModelResult>;

/** A failed call, typed by the ModelFailureType the workflow routes on. */
export class ModelCallError extends Error {
  override name = 'ModelCallError';
  constructor(
    readonly type: ModelFailureType | 'Cancelled',
    message: string,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
    /** What the failed call cost anyway: a wrong answer from a paid model is still billed. */
    readonly costUsd = 0,
  ) {
    super(message, options);
  }
}

/** The least a day-budget hold lasts if its process dies before releasing it (else twice the model's timeout). */
const DAY_HOLD_MIN_MS = 10 * 60_000;

const failureOfKind: Record<ProviderErrorKind, ModelFailureType | 'Cancelled'> = {
  [ProviderErrorKind.RateLimited]: ModelFailureType.RateLimited,
  [ProviderErrorKind.Unavailable]: ModelFailureType.Unavailable,
  [ProviderErrorKind.CircuitOpen]: ModelFailureType.Unavailable,
  [ProviderErrorKind.Timeout]: ModelFailureType.Timeout,
  [ProviderErrorKind.Malformed]: ModelFailureType.MalformedResponse,
  [ProviderErrorKind.Rejected]: ModelFailureType.Rejected,
  [ProviderErrorKind.InvalidOutput]: ModelFailureType.InvalidOutput,
  [ProviderErrorKind.Cancelled]: 'Cancelled',
};

/** The prompt the estimate and the call both use. */
export function buildMessages(input: Pick<CallModelInput, 'system' | 'messages' | 'prompt'>): ChatMessage[] {
  return [
    ...(input.system ? [{ role: 'system' as const, content: input.system }] : []),
    ...(input.messages ?? []),
    ...(input.prompt ? [{ role: 'user' as const, content: input.prompt }] : []),
  ];
}

/** Prompt tokens estimated from text length: messages, tool definitions and the schema all count. */
export function estimateInputTokens(
  input: Pick<CallModelInput, 'system' | 'messages' | 'prompt' | 'tools' | 'schema'>,
): number {
  const text = buildMessages(input)
    .map((message) => message.content)
    .join('\n');
  const extras = JSON.stringify(input.tools ?? []).length + JSON.stringify(input.schema ?? {}).length;
  return estimateTokens(text) + Math.ceil(extras / 4);
}

/**
 * Calls one model once: budget check first (a call over budget never leaves the process), then the
 * model's circuit breaker, the adapter, and a ledger line whatever the outcome.
 */
export async function callOneModel(
  runtime: ModelRuntime,
  input: CallModelInput,
  hooks: { signal?: AbortSignal; onProgress?: (progress: StreamProgress) => void } = {},
): Promise<CallModelResult> {
  const { catalogue, ledger, breakers } = runtime;
  const model = catalogue.models.find((entry) => entry.id === input.modelId);
  if (!model) {
    throw new ModelCallError(
      ModelFailureType.InvalidInput,
      `model "${input.modelId}" is not in the catalogue ${catalogue.source}`,
    );
  }
  const messages = buildMessages(input);
  if (!messages.some((message) => message.role === 'user' || message.role === 'tool')) {
    throw new ModelCallError(
      ModelFailureType.InvalidInput,
      `step "${input.stepId}" gave the model no prompt`,
    );
  }
  const started = runtime.now();
  const base = {
    runId: input.runId,
    stepId: input.stepId,
    ...(input.agent && { agent: input.agent }),
    modelId: model.id,
    provider: model.provider,
  };
  const record = (
    outcome: AttemptOutcome,
    fields: { usage?: { inputTokens: number; outputTokens: number }; error?: string; simulated?: boolean },
  ) => {
    const latencyMs = Math.max(0, runtime.now().getTime() - started.getTime());
    const usage = fields.usage ?? { inputTokens: 0, outputTokens: 0 };
    return ledger
      .record({
        ts: started.toISOString(),
        ...base,
        ...usage,
        costUsd: costUsd(model.pricing, usage),
        ...(model.local && { computeSeconds: latencyMs / 1000 }),
        latencyMs,
        outcome,
        ...(fields.error && { error: fields.error }),
        ...(fields.simulated && { simulated: true }),
      })
      .then(() => latencyMs);
  };

  const maxTokens = input.maxTokens ?? model.maxOutputTokens;
  const estimateUsd = estimateCallCostUsd(model.pricing, estimateInputTokens(input), maxTokens);
  const dailyLimit = catalogue.budgets.dailyUsd;
  const day = utcDay(started);
  const refuse = async (message: string): Promise<never> => {
    await record(AttemptOutcome.BudgetExceeded, { error: message });
    throw new ModelCallError(ModelFailureType.BudgetExceeded, message);
  };
  const verdict = checkBudgets({
    estimateUsd,
    modelId: model.id,
    runId: input.runId,
    run: input.budget,
    runInFlightUsd: runtime.inFlight.run(input.runId),
  });
  if (!verdict.ok) await refuse(verdict.message);
  // The day budget is shared by every worker process: its check and hold is one atomic step in the store.
  const dayHold =
    dailyLimit === undefined || estimateUsd === 0
      ? undefined
      : await ledger.holdDay({
          day,
          usd: estimateUsd,
          limitUsd: dailyLimit,
          ttlMs: Math.max(DAY_HOLD_MIN_MS, 2 * model.timeoutMs),
        });
  if (dayHold && !dayHold.ok && dailyLimit !== undefined) {
    await refuse(
      dayBudgetRefusal({
        estimateUsd,
        modelId: model.id,
        runId: input.runId,
        day: { limitUsd: dailyLimit, spentUsd: dayHold.spentUsd, date: day, source: catalogue.source },
        dayInFlightUsd: dayHold.heldUsd,
      }),
    );
  }
  const releaseDay = () => (dayHold?.ok ? dayHold.release() : Promise.resolve());
  const provider = runtime.providers.get(model.provider);
  if (!provider) {
    const why = runtime.unconfigured.get(model.provider) ?? 'not configured';
    const message = `provider ${model.provider} of ${model.id} cannot be used (${why})`;
    await record(AttemptOutcome.Rejected, { error: message });
    await releaseDay();
    throw new ModelCallError(ModelFailureType.Rejected, message);
  }

  const release = runtime.inFlight.hold(input.runId, estimateUsd);
  const tokens = tokenWriter(runtime.tokens, { runId: input.runId, stepId: input.stepId, modelId: model.id });
  try {
    const result = await breakers.run(
      model.id,
      (signal) =>
        withModelSpan(base, () =>
          provider.chat({
            model: model.name,
            messages,
            tools: input.tools,
            schema: input.schema,
            maxTokens,
            temperature: input.temperature,
            signal,
            timeoutMs: model.timeoutMs,
            idleTimeoutMs: model.idleTimeoutMs,
            headers: {
              'x-troupe-run': input.runId,
              'x-troupe-step': input.stepId,
              ...(input.agent && { 'x-troupe-agent': input.agent }),
            },
            onProgress: (progress) => {
              tokens.write(progress.delta);
              hooks.onProgress?.(progress);
            },
          }),
        ),
      hooks.signal ?? new AbortController().signal,
    );
    const latencyMs = await record(AttemptOutcome.Ok, { usage: result.usage, simulated: result.simulated });
    return {
      text: result.text,
      ...(result.json !== undefined && { json: result.json }),
      ...(result.toolCalls && { toolCalls: result.toolCalls }),
      modelId: model.id,
      provider: model.provider,
      usage: result.usage,
      costUsd: costUsd(model.pricing, result.usage),
      latencyMs,
      ...(model.local && { computeSeconds: latencyMs / 1000 }),
      ...(result.simulated && { simulated: true }),
    };
  } catch (err) {
    const usage = err instanceof ProviderError ? err.usage : undefined;
    const failure = toCallError(err, usage ? costUsd(model.pricing, usage) : 0);
    const outcome = failure.type === 'Cancelled' ? AttemptOutcome.Cancelled : outcomeOf(failure.type);
    await record(outcome, { error: failure.message, ...(usage && { usage }) });
    throw failure;
  } finally {
    tokens.end();
    release();
    // After the call's cost was recorded, so the day's total never dips in between.
    await releaseDay();
  }
}

function toCallError(err: unknown, spentUsd: number): ModelCallError {
  if (err instanceof ModelCallError) return err;
  if (err instanceof ProviderError) {
    return new ModelCallError(
      failureOfKind[err.kind],
      err.message,
      err.retryAfterMs,
      { cause: err },
      spentUsd,
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ModelCallError(ModelFailureType.Unavailable, `the model call failed: ${message}`, undefined, {
    cause: err,
  });
}
