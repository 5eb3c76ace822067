import { z } from 'zod';
import { StepStatus } from '../engine/run-snapshot';
import type { Spec } from '../engine/spec';
import type { OutcomeRecord } from './outcome-record';
import { SuccessPredictor, type StepKey } from './success-predictor';

/**
 * What a run is expected to do, from the outcome records of the runs before it: its chance of success,
 * cost and duration, how sure the estimate is, and the riskiest step; before it starts, and again as it
 * goes, from what it has done so far. Pure.
 */
export const RunForecast = z.object({
  success: z.number().min(0).max(1),
  costUsd: z.number().min(0),
  durationMs: z.number().min(0),
  confidence: z.enum(['low', 'medium', 'high']),
  /** Set when success is under 50%: the step most likely to fail. */
  riskStep: z.string().optional(),
  /** How the figure was reached, step by step, with the records behind each. */
  explanation: z.string(),
  /** Outcome records the forecast learned from. */
  records: z.int().min(0),
  /**
   * Set when the forecast was made again as the run goes: what it already knew. Ended steps count as
   * they ended, and cost and duration are what the run has spent and taken so far plus what is to come.
   */
  progress: z
    .object({
      stepsEnded: z.int().min(0),
      spentUsd: z.number().min(0),
      elapsedMs: z.number().min(0),
    })
    .optional(),
});
export type RunForecast = z.infer<typeof RunForecast>;

/**
 * A step's key for the predictor: its place in its spec (the same step of the same spec is the best
 * guide), and who does it (its agent, or its kind), which carries what is known across specs.
 */
export function stepKey(specName: string, stepId: string, doer: string): StepKey {
  return { context: `${specName}/${stepId}`, arm: doer };
}

export function predictorFrom(records: readonly OutcomeRecord[]): SuccessPredictor {
  const predictor = new SuccessPredictor();
  for (const r of records) {
    predictor.record(stepKey(r.specName, r.stepId, r.agent ?? r.features.stepKind), {
      success: r.success,
      costUsd: r.costUsd,
      durationMs: r.durationMs,
    });
  }
  return predictor;
}

/** How far a run has got: the run snapshot's step statuses, its spend and its time so far. */
export type RunProgress = {
  steps: ReadonlyArray<{ id: string; status: StepStatus }>;
  spentUsd: number;
  elapsedMs: number;
};

const succeeded = new Set<StepStatus>([StepStatus.Completed, StepStatus.Skipped]);
const failed = new Set<StepStatus>([StepStatus.Failed, StepStatus.Cancelled]);

export function forecastRun(
  predictor: SuccessPredictor,
  records: number,
  spec: Spec,
  progress?: RunProgress,
): RunForecast {
  const statuses = new Map(progress?.steps.map((step) => [step.id, step.status]));
  const steps = spec.steps.map((step) => {
    const status = statuses.get(step.id);
    return {
      id: step.id,
      ...stepKey(spec.name, step.id, step.kind === 'agent' ? step.agent : step.kind),
      done: status !== undefined && succeeded.has(status),
      failed: status !== undefined && failed.has(status),
    };
  });
  const { success, costUsd, durationMs, confidence, riskStep, explanation } = predictor.predictRun(steps);
  return {
    success,
    costUsd: costUsd + (progress?.spentUsd ?? 0),
    durationMs: durationMs + (progress?.elapsedMs ?? 0),
    confidence,
    ...(riskStep !== undefined && { riskStep }),
    explanation,
    records,
    ...(progress && {
      progress: {
        stepsEnded: steps.filter((step) => step.done || step.failed).length,
        spentUsd: progress.spentUsd,
        elapsedMs: progress.elapsedMs,
      },
    }),
  };
}
