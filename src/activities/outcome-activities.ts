import { z } from 'zod';
import { AgentChoice } from '../engine/run-snapshot';
import { CheckName, evaluate, type CheckResult, type CheckWeights } from '../learning/evaluator';
import { OutcomeCollaboration } from '../learning/outcome-record';
import type { OutcomeStore } from '../learning/outcome-store';

/** One ended step, as the run workflow passes it: no outputs, only what the record keeps. */
export const StepOutcomeInput = z.strictObject({
  stepId: z.string().min(1),
  kind: z.string().min(1),
  agent: z.string().optional(),
  model: z.string().optional(),
  inputTokens: z.int().min(0).optional(),
  outputTokens: z.int().min(0).optional(),
  costUsd: z.number().min(0).optional(),
  taskChars: z.int().min(0).optional(),
  success: z.boolean(),
  error: z.string().optional(),
  attempts: z.int().min(1),
  startedAt: z.iso.datetime().optional(),
  endedAt: z.iso.datetime(),
  exitCode: z.int().optional(),
  /** For an `agent: auto` step: the capabilities it needed (its context) and how its agent was chosen. */
  needs: z.array(z.string()).optional(),
  choice: AgentChoice.optional(),
  collaboration: OutcomeCollaboration.optional(),
});
export type StepOutcomeInput = z.infer<typeof StepOutcomeInput>;

export const RecordOutcomesInput = z.strictObject({
  runId: z.string().min(1),
  specName: z.string(),
  steps: z.array(StepOutcomeInput),
});
export type RecordOutcomesInput = z.infer<typeof RecordOutcomesInput>;

export type OutcomeActivityDeps = {
  store: OutcomeStore;
  /** Check weights per agent, from its definition; agents without any use the defaults. */
  weightsFor?: (agent: string | undefined) => CheckWeights | undefined;
};

/** The error's type: the leading word of a Temporal or Troupe failure message, else "error". */
function errorType(error: string | undefined): string | undefined {
  if (error === undefined) return undefined;
  const match = /^([A-Z][A-Za-z]+(?:Error|Failure|Exceeded|Timeout))\b/.exec(error);
  if (match) return match[1];
  if (/time(d)? ?out/i.test(error)) return 'Timeout';
  return 'StepFailed';
}

/** The activities that write outcome records; registered on the orchestration pool. */
export const createOutcomeActivities = ({ store, weightsFor }: OutcomeActivityDeps) => ({
  /** One record per step, keyed by run and step: a retried call rewrites the same records. */
  async recordOutcomes(raw: RecordOutcomesInput): Promise<{ recorded: number }> {
    const input = RecordOutcomesInput.parse(raw);
    for (const step of input.steps) {
      const checks: CheckResult[] = [{ name: CheckName.StepSucceeded, passed: step.success }];
      if (step.exitCode !== undefined) checks.push({ name: CheckName.ExitZero, passed: step.exitCode === 0 });
      const evaluation = evaluate({ checks, weights: weightsFor?.(step.agent) });
      const durationMs = step.startedAt
        ? Math.max(0, Date.parse(step.endedAt) - Date.parse(step.startedAt))
        : 0;
      const inputTokens = step.inputTokens ?? Math.ceil((step.taskChars ?? 0) / 4);
      const type = errorType(step.error);
      await store.put({
        runId: input.runId,
        specName: input.specName,
        stepId: step.stepId,
        ...(step.agent && { agent: step.agent }),
        ...(step.model && { model: step.model }),
        inputTokens,
        outputTokens: step.outputTokens ?? 0,
        costUsd: step.costUsd ?? 0,
        durationMs,
        attempts: step.attempts,
        success: step.success,
        ...(type && { errorType: type }),
        score: evaluation.score,
        grade: evaluation.grade,
        features: {
          stepKind: step.kind,
          capabilities: step.needs ?? [],
          inputTokens,
          specName: input.specName,
        },
        ...(step.choice && { choice: step.choice }),
        ...(step.collaboration && { collaboration: step.collaboration }),
        endedAt: step.endedAt,
      });
    }
    return { recorded: input.steps.length };
  },
});
