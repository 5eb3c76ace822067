import { z } from 'zod';
import { lazySchema } from './lazy-schema';

export const RunStatus = {
  Running: 'running',
  Paused: 'paused',
  Waiting: 'waiting',
  Completed: 'completed',
  Failed: 'failed',
  Cancelled: 'cancelled',
} as const;
export type RunStatus = (typeof RunStatus)[keyof typeof RunStatus];

export const StepStatus = {
  Pending: 'pending',
  Running: 'running',
  Waiting: 'waiting',
  Completed: 'completed',
  Failed: 'failed',
  Skipped: 'skipped',
  Cancelled: 'cancelled',
} as const;
export type StepStatus = (typeof StepStatus)[keyof typeof StepStatus];

export const Decision = lazySchema(() =>
  z.object({
    approved: z.boolean(),
    comment: z.string().optional(),
    /** True when nobody decided in time and the spec's default applied. */
    timedOut: z.boolean().optional(),
  }),
);
export type Decision = z.infer<typeof Decision>;

/** Which model answered a model step, what it cost, and why the router chose it. */
export const ModelUse = lazySchema(() =>
  z.object({
    modelId: z.string(),
    provider: z.string(),
    inputTokens: z.number().int(),
    outputTokens: z.number().int(),
    costUsd: z.number(),
    reason: z.string(),
    attempts: z.array(
      z.object({
        modelId: z.string(),
        provider: z.string(),
        outcome: z.string(),
        error: z.string().optional(),
      }),
    ),
  }),
);
export type ModelUse = z.infer<typeof ModelUse>;

/** One agent `agent: auto` could have chosen, with the bandit's estimates for it. */
export const AgentEstimate = lazySchema(() =>
  z.object({
    agent: z.string(),
    /** Posterior mean reward: success × quality − cost weight × USD. */
    estimate: z.number(),
    successMean: z.number(),
    qualityMean: z.number(),
    /** What Thompson sampling drew for it (the mean itself when exploration is off). */
    sampled: z.number().optional(),
    /** Outcome records behind the estimate, discounted. */
    observations: z.number(),
  }),
);
export type AgentEstimate = z.infer<typeof AgentEstimate>;

/** Which agent an `agent: auto` step runs, why, and every candidate's estimate. */
export const AgentChoice = lazySchema(() =>
  z.object({
    agent: z.string(),
    needs: z.array(z.string()),
    /** The bandit's context (step kind, needs, task size): later choices learn from records of the same. */
    context: z.string(),
    explored: z.boolean(),
    reason: z.string(),
    alternatives: z.array(AgentEstimate),
  }),
);
export type AgentChoice = z.infer<typeof AgentChoice>;

/** One answer of a collaborate step: one agent, one round (0 is the first answer; debates add rounds). */
export const CollaborationAnswer = lazySchema(() =>
  z.object({
    agent: z.string(),
    round: z.int().min(0),
    ok: z.boolean(),
    /** The agent's answer (its output contract), when it answered. */
    output: z.unknown().optional(),
    error: z.string().optional(),
    modelId: z.string().optional(),
    inputTokens: z.int().min(0),
    outputTokens: z.int().min(0),
    costUsd: z.number().min(0),
    /** Best-of: the evaluator's score of this answer. */
    score: z.number().optional(),
  }),
);
export type CollaborationAnswer = z.infer<typeof CollaborationAnswer>;

/**
 * How a collaborate step went: every answer with its cost, whether the agents disagreed, who won and
 * why. Filled in as the answers arrive, so a running step shows the answers so far.
 */
export const CollaborationRecord = lazySchema(() =>
  z.object({
    mode: z.string(),
    agents: z.array(z.string()),
    answers: z.array(CollaborationAnswer),
    judge: z.string().optional(),
    disagreed: z.boolean().optional(),
    winner: z.string().optional(),
    /** Why the winner won, in words: the tally, the judge's reasons, the scores. */
    settled: z.string().optional(),
    /** Debate: the rounds that ran (fewer than asked when the agents came to agree). */
    rounds: z.int().min(0).optional(),
    /** Vote: the groups of agents that gave the same answer, largest first, and whether the top tied. */
    groups: z.array(z.object({ agents: z.array(z.string()), count: z.int() })).optional(),
    tie: z.boolean().optional(),
    /** Judge and debate: the judge's decision and what it cost. */
    verdict: z
      .object({
        judge: z.string(),
        choice: z.int(),
        agree: z.boolean(),
        reasons: z.array(z.string()),
        modelId: z.string().optional(),
        costUsd: z.number().min(0),
      })
      .optional(),
    /** What every answer and the judge cost together. */
    costUsd: z.number().min(0),
  }),
);
export type CollaborationRecord = z.infer<typeof CollaborationRecord>;

export const StepSnapshot = lazySchema(() =>
  z.object({
    id: z.string(),
    status: z.enum(StepStatus),
    kind: z.string(),
    tool: z.string().optional(),
    attempts: z.number().int().optional(),
    startedAt: z.iso.datetime().optional(),
    endedAt: z.iso.datetime().optional(),
    output: z.unknown().optional(),
    error: z.string().optional(),
    /** For an approval step: what the approver is asked, and until when. */
    message: z.string().optional(),
    deadline: z.iso.datetime().optional(),
    decision: Decision.optional(),
    model: ModelUse.optional(),
    /** For an `agent: auto` step: the agent chosen, why, and the alternatives' estimates. */
    choice: AgentChoice.optional(),
    /** For a collaborate step: each agent's answers and cost, the disagreement, and how it was settled. */
    collaboration: CollaborationRecord.optional(),
    /** The shared-context version the step started from. */
    contextVersion: z.number().int().optional(),
    /** For a foreach step: how many items are done out of how many. */
    items: z.object({ done: z.number().int(), total: z.number().int() }).optional(),
  }),
);
export type StepSnapshot = z.infer<typeof StepSnapshot>;

export const CompensationRecord = lazySchema(() =>
  z.object({
    stepId: z.string(),
    status: z.enum(['running', 'completed', 'failed']),
    startedAt: z.iso.datetime(),
    endedAt: z.iso.datetime().optional(),
    error: z.string().optional(),
  }),
);
export type CompensationRecord = z.infer<typeof CompensationRecord>;

export const ContextWrite = lazySchema(() =>
  z.object({
    stepId: z.string(),
    key: z.string(),
    version: z.number().int(),
    at: z.iso.datetime(),
  }),
);
export type ContextWrite = z.infer<typeof ContextWrite>;

export const ContextConflict = lazySchema(() =>
  z.object({
    key: z.string(),
    /** The earlier writer, then the one whose write collided with it. */
    steps: z.tuple([z.string(), z.string()]),
    policy: z.string(),
    resolution: z.string(),
  }),
);
export type ContextConflict = z.infer<typeof ContextConflict>;

/** The run's shared context: its values, every write (the messages between steps), and conflicts. */
export const SharedContextSnapshot = lazySchema(() =>
  z.object({
    version: z.number().int(),
    values: z.record(z.string(), z.unknown()),
    writes: z.array(ContextWrite),
    conflicts: z.array(ContextConflict),
  }),
);
export type SharedContextSnapshot = z.infer<typeof SharedContextSnapshot>;

/** A question one agent asked another through ask_agent, and the answer, kept for the UI. */
export const AgentMessage = lazySchema(() =>
  z.object({
    stepId: z.string(),
    from: z.string(),
    to: z.string(),
    question: z.string(),
    answer: z.string(),
    at: z.iso.datetime(),
  }),
);
export type AgentMessage = z.infer<typeof AgentMessage>;

/** A completed step with a compensation, and the output its compensation reads. */
export const Compensable = lazySchema(() => z.object({ stepId: z.string(), output: z.unknown() }));
export type Compensable = z.infer<typeof Compensable>;

/** The full state of a run: what the run-state query answers and GET /api/runs/:runId returns. */
export const RunSnapshot = lazySchema(() =>
  z.object({
    runId: z.string(),
    /** Grows with every change to the run: live updates use it as their sequence number. */
    version: z.number().int(),
    name: z.string(),
    status: z.enum(RunStatus),
    startedAt: z.iso.datetime(),
    endedAt: z.iso.datetime().optional(),
    steps: z.array(StepSnapshot),
    /** Compensations in the order they ran, after a failure or cancellation. */
    compensations: z.array(CompensationRecord),
    /** What the run's model calls have cost so far, failed attempts included. */
    costUsd: z.number(),
    context: SharedContextSnapshot,
    messages: z.array(AgentMessage),
    output: z.unknown().optional(),
    error: z.string().optional(),
    /**
     * For a completed run: its completed steps that have a compensation, in completion order. A parent
     * run that fails later undoes them (it runs this run again in undo mode, under the same id).
     */
    compensable: z.array(Compensable).optional(),
  }),
);
export type RunSnapshot = z.infer<typeof RunSnapshot>;
