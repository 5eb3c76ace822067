import { z } from 'zod';
import type { Spec } from '../engine/spec';
import type { OutcomeRecord } from './outcome-record';
import { SuccessPredictor, type StepKey } from './success-predictor';

/**
 * What a run is expected to do before it starts, from the outcome records of the runs before it: its
 * chance of success, cost and duration, how sure the estimate is, and the riskiest step. Pure.
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

export function forecastRun(predictor: SuccessPredictor, records: number, spec: Spec): RunForecast {
  const steps = spec.steps.map((step) => ({
    id: step.id,
    ...stepKey(spec.name, step.id, step.kind === 'agent' ? step.agent : step.kind),
  }));
  const { success, costUsd, durationMs, confidence, riskStep, explanation } = predictor.predictRun(steps);
  return {
    success,
    costUsd,
    durationMs,
    confidence,
    ...(riskStep !== undefined && { riskStep }),
    explanation,
    records,
  };
}
