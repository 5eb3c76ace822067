import { z } from 'zod';
import { lazySchema } from '../engine/lazy-schema';
import { JsonSchemaObject, ModelStepInput } from '../models/model-step-input';

/** How a step by this agent is undone when a later step fails (the saga's compensation). */
export const CompensationKind = {
  RestoreWorkspace: 'restore-workspace',
  Command: 'command',
  None: 'none',
} as const;
export type CompensationKind = (typeof CompensationKind)[keyof typeof CompensationKind];

export const Compensation = lazySchema(() =>
  z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal(CompensationKind.RestoreWorkspace) }),
    /** Runs the tool settings' deploy rollback command (config, never the model's choice). */
    z.strictObject({ kind: z.literal(CompensationKind.Command), command: z.literal('deploy.rollback') }),
    z.strictObject({ kind: z.literal(CompensationKind.None) }),
  ]),
);
export type Compensation = z.infer<typeof Compensation>;

/**
 * A capability a step can ask for with `agent: auto` and `needs`: one short kebab-case word from a
 * shared vocabulary (`code`, `tests`, `review`, ...), unlike the free words of `capabilities`.
 */
export const CapabilityTag = lazySchema(() =>
  z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,39}$/, 'a capability is one kebab-case word, like code, tests or review'),
);

/** The step's `agent` that asks Troupe to choose one by `needs`; no agent may take this id. */
export const AutoAgent = 'auto';

const AgentId = lazySchema(() =>
  z.string().regex(/^[a-z][a-z0-9-]{1,62}$/, 'an agent id is kebab-case: lowercase letters, digits and -'),
);

/** One specialist agent, as written in config/agents/<id>.yaml. */
export const AgentDefinition = lazySchema(() =>
  z.strictObject({
    id: AgentId,
    description: z.string().min(1),
    /** What the agent is good at, for people and planners choosing one (free words, not model capabilities). */
    capabilities: z.array(z.string().min(1)).min(1),
    /** What `agent: auto` steps may ask of this agent (`needs: [tests]` finds the agents providing tests). */
    provides: z.array(CapabilityTag).max(20).default([]),
    system: z.string().min(20, 'the system prompt must say who the agent is and how it answers'),
    /** Names from the tool box; the model is offered these and nothing else. */
    tools: z.array(z.string().min(1)).default([]),
    /** The JSON schema the final answer must match. */
    output: JsonSchemaObject,
    /** Model choice, as for a model step: routing policy, required model capabilities, a pinned model. */
    model: ModelStepInput.pick({
      policy: true,
      requires: true,
      model: true,
      temperature: true,
      maxTokens: true,
    })
      .partial()
      .default({}),
    limits: z
      .strictObject({
        maxIterations: z.int().positive().max(100).default(12),
        /** Input plus output tokens over the whole loop. */
        maxTotalTokens: z.int().positive().default(200_000),
      })
      .default({ maxIterations: 12, maxTotalTokens: 200_000 }),
    compensation: Compensation.default({ kind: CompensationKind.None }),
  }),
);
export type AgentDefinition = z.infer<typeof AgentDefinition>;
export type AgentDefinitionInput = z.input<typeof AgentDefinition>;
