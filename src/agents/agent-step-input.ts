import { z } from 'zod';
import { ChatMessage } from '../models/provider-adapter';

/** The input of one agent step: the `runAgent` activity's payload, so plain JSON. */
export const AgentStepInput = z.strictObject({
  runId: z.string().min(1),
  stepId: z.string().min(1),
  /** An id from the agent registry. */
  agent: z.string().min(1),
  /** What this agent must do, in words. */
  task: z.string().min(1, 'task must say what the agent should do'),
  /** Outputs of earlier steps or other facts, shown to the model as JSON. */
  context: z.record(z.string(), z.unknown()).optional(),
  /** A repo to work in (inside TROUPE_REPOS; the workspace is a clone of it); otherwise a fresh repo per run. */
  repo: z.string().min(1).optional(),
  /** The item's index, for a foreach step: part of its commands' TROUPE_IDEMPOTENCY_KEY. */
  index: z.int().min(0).optional(),
  /** Like a model step: checked before every model call of the loop. */
  budget: z.strictObject({ limitUsd: z.number().min(0), spentUsd: z.number().min(0) }).optional(),
  maxIterations: z.int().positive().max(100).optional(),
  /** Continues a loop that paused to ask another agent: its conversation, and the answer. */
  get resume() {
    return AgentResume.optional();
  },
});
export type AgentStepInput = z.infer<typeof AgentStepInput>;

/** A question an agent asked another through ask_agent; the workflow answers it with a child step. */
export const AgentQuestion = z.strictObject({
  agent: z.string(),
  question: z.string(),
  toolCallId: z.string(),
});
export type AgentQuestion = z.infer<typeof AgentQuestion>;

export const AgentToolCallRecord = z.strictObject({
  tool: z.string(),
  ok: z.boolean(),
  error: z.string().optional(),
  /** The command ran without the sandbox (TROUPE_SANDBOX=off). */
  unconfined: z.literal(true).optional(),
});
export type AgentToolCallRecord = z.infer<typeof AgentToolCallRecord>;

const Usage = z.strictObject({ inputTokens: z.int().min(0), outputTokens: z.int().min(0) });

/** What the step records: the validated answer, what was done, and what it cost. */
export const AgentStepResult = z.strictObject({
  agent: z.string(),
  output: z.unknown(),
  transcript: z.array(z.string()),
  toolCalls: z.array(AgentToolCallRecord),
  modelId: z.string(),
  usage: Usage,
  costUsd: z.number().min(0),
  iterations: z.int().min(0),
  /** The workspace snapshot taken before the step, which its compensation restores. */
  snapshotRef: z.string().optional(),
  workspace: z.string(),
  /** Set when the loop paused to ask another agent; `resume` holds what continues it. */
  get pending() {
    return AgentQuestion.optional();
  },
  get resume() {
    return AgentProgress.optional();
  },
});
export type AgentStepResult = z.infer<typeof AgentStepResult>;

/** What a heartbeat carries, so a retried attempt continues the conversation instead of starting over. */
export const AgentProgress = z.object({
  iteration: z.int().min(0),
  lastTool: z.string().optional(),
  messages: z.array(ChatMessage),
  transcript: z.array(z.string()),
  toolCalls: z.array(AgentToolCallRecord),
  usage: Usage,
  costUsd: z.number().min(0),
  modelId: z.string().optional(),
  snapshotRef: z.string().optional(),
});
export type AgentProgress = z.infer<typeof AgentProgress>;

/**
 * What a heartbeat carries: where the conversation is, not the conversation. The progress itself
 * sits in the worker's blob store (`progressRef`), so no prompt, tool output or answer reaches history.
 */
export const AgentHeartbeat = z.object({
  iteration: z.int().min(0),
  lastTool: z.string().optional(),
  costUsd: z.number().min(0),
  snapshotRef: z.string().optional(),
  progressRef: z.string().optional(),
});
export type AgentHeartbeat = z.infer<typeof AgentHeartbeat>;

export const AgentResume = z.strictObject({
  progress: AgentProgress,
  answer: z.strictObject({ agent: z.string(), content: z.string(), toolCallId: z.string() }),
});
export type AgentResume = z.infer<typeof AgentResume>;

/** The compensation activity's input: the step's agent and what its result recorded. */
export const CompensateAgentInput = z.strictObject({
  runId: z.string().min(1),
  stepId: z.string().min(1),
  agent: z.string().min(1),
  snapshotRef: z.string().optional(),
  repo: z.string().min(1).optional(),
});
export type CompensateAgentInput = z.infer<typeof CompensateAgentInput>;
