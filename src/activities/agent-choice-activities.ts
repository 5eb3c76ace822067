import { ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import type { AgentRegistry } from '../agents/registry';
import { CapabilityTag } from '../agents/agent-definition';
import type { AgentChoice } from '../engine/run-snapshot';
import { choiceSeed, chooseAgentFor } from '../learning/agent-choice';
import { NoArmFitsError } from '../learning/bandit';
import type { OutcomeStore } from '../learning/outcome-store';

export const ChooseAgentInput = z.strictObject({
  runId: z.string().min(1),
  stepId: z.string().min(1),
  needs: z.array(CapabilityTag).min(1),
  explore: z.boolean(),
  /** The task's length before templates, for the context's size bucket. */
  taskChars: z.int().min(0).optional(),
  /** The step's `candidates` (a planned step's: its plan's agents): the only agents it may choose. */
  candidates: z.array(z.string().min(1)).min(1).optional(),
});
export type ChooseAgentInput = z.infer<typeof ChooseAgentInput>;

export type AgentChoiceDeps = { registry: AgentRegistry; store: OutcomeStore };

/**
 * The choice of `agent: auto`, on the agents pool, where the registry is and the outcome records can
 * be read; a step with `candidates` chooses among those agents only. The workflow records the answer in history, so a replay reuses it; the draw is seeded by
 * run and step, so a retried attempt answers as the first did (unless records arrived in between).
 */
export const createAgentChoiceActivities = ({ registry, store }: AgentChoiceDeps) => ({
  async chooseAgent(raw: ChooseAgentInput): Promise<AgentChoice> {
    const input = ChooseAgentInput.parse(raw);
    const allowed = input.candidates && new Set(input.candidates);
    const agents = [...registry.agents.values()]
      .filter(({ id }) => !allowed || allowed.has(id))
      .map(({ id, provides }) => ({ id, provides }));
    try {
      return chooseAgentFor({
        needs: input.needs,
        agents,
        records: await store.list(),
        explore: input.explore,
        seed: choiceSeed(input.runId, input.stepId),
        inputTokens: Math.ceil((input.taskChars ?? 0) / 4),
      });
    } catch (err) {
      if (!(err instanceof NoArmFitsError)) throw err;
      const among = input.candidates
        ? `none of its candidates (${input.candidates.join(', ')}) provides all of ${input.needs.join(', ')}; they provide ${
            [...new Set(agents.flatMap((agent) => agent.provides))].sort().join(', ') || 'nothing'
          }`
        : err.message;
      throw ApplicationFailure.create({
        type: 'NoAgentFits',
        message: `step "${input.stepId}": ${among}`,
        nonRetryable: true,
      });
    }
  },
});
export type AgentChoiceActivities = ReturnType<typeof createAgentChoiceActivities>;
