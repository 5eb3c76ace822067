import { z } from 'zod';
import { AgentChoice } from '../engine/run-snapshot';

/**
 * One record per step that ended: who did it, what it cost, how it went, how it scored, and the
 * features that selection and prediction learn from. Keyed by run and step, not by attempt, so a
 * retried write replaces itself instead of adding a second record.
 */
export const OutcomeFeatures = z.strictObject({
  stepKind: z.string().min(1).max(40),
  capabilities: z.array(z.string().max(60)).max(20).default([]),
  inputTokens: z.int().min(0).default(0),
  specName: z.string().max(200),
});
export type OutcomeFeatures = z.infer<typeof OutcomeFeatures>;

/**
 * A collaborate step's record: how the team answered (each answer's agent, round, model and cost),
 * whether it disagreed, who won and why.
 */
export const OutcomeCollaboration = z.strictObject({
  mode: z.string().min(1).max(20),
  answers: z
    .array(
      z.strictObject({
        agent: z.string().max(200),
        round: z.int().min(0),
        ok: z.boolean(),
        model: z.string().max(200).optional(),
        costUsd: z.number().min(0),
        score: z.number().optional(),
      }),
    )
    .max(200),
  disagreed: z.boolean().optional(),
  winner: z.string().max(200).optional(),
  settled: z.string().max(2000).optional(),
  judge: z.string().max(200).optional(),
  judgeCostUsd: z.number().min(0).optional(),
});
export type OutcomeCollaboration = z.infer<typeof OutcomeCollaboration>;

export const OutcomeRecord = z.strictObject({
  runId: z.string().min(1).max(300),
  specName: z.string().max(200),
  stepId: z.string().min(1).max(200),
  agent: z.string().max(200).optional(),
  model: z.string().max(200).optional(),
  inputTokens: z.int().min(0).default(0),
  outputTokens: z.int().min(0).default(0),
  costUsd: z.number().min(0).default(0),
  durationMs: z.number().min(0),
  attempts: z.int().min(1).default(1),
  success: z.boolean(),
  errorType: z.string().max(200).optional(),
  score: z.number().min(0).max(100),
  grade: z.enum(['EXCELLENT', 'GOOD', 'FAIR', 'POOR']),
  features: OutcomeFeatures,
  /** For an `agent: auto` step: why its agent was chosen, and the alternatives' estimates. */
  choice: AgentChoice.optional(),
  /** For a collaborate step: the team's answers with their cost, and the resolution. */
  collaboration: OutcomeCollaboration.optional(),
  /** When the step ended, ISO 8601 (the workflow's deterministic clock). */
  endedAt: z.iso.datetime(),
});
export type OutcomeRecord = z.infer<typeof OutcomeRecord>;

/** The idempotency key: attempt-independent. */
export const outcomeKey = (r: Pick<OutcomeRecord, 'runId' | 'stepId'>) => `${r.runId}\u0000${r.stepId}`;

/** A context for the bandit and the predictor: step kind, first capability, and an input-size bucket. */
export function contextOf(f: Pick<OutcomeFeatures, 'stepKind' | 'capabilities' | 'inputTokens'>): string {
  const size = f.inputTokens > 4000 ? 'large' : 'small';
  return `${f.stepKind}:${[...f.capabilities].sort().join('+') || '-'}:${size}`;
}
