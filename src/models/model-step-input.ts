import { z } from 'zod';
import { lazySchema } from '../engine/lazy-schema';

/** What a model can do; a step asks for the ones it needs and the router only picks models that have them. */
export const Capability = {
  Code: 'code',
  Reasoning: 'reasoning',
  Tools: 'tools',
  Json: 'json',
  Vision: 'vision',
} as const;
export type Capability = (typeof Capability)[keyof typeof Capability];
export const CapabilityName = lazySchema(() =>
  z.enum(Object.values(Capability) as [Capability, ...Capability[]]),
);

/** How the router orders the capable models; the chain it builds is the failover order. */
export const RoutingPolicy = {
  LocalFirst: 'local-first',
  CheapestCapable: 'cheapest-capable',
  Fastest: 'fastest',
  BestQuality: 'best-quality',
} as const;
export type RoutingPolicy = (typeof RoutingPolicy)[keyof typeof RoutingPolicy];
export const RoutingPolicyName = lazySchema(() =>
  z.enum(Object.values(RoutingPolicy) as [RoutingPolicy, ...RoutingPolicy[]]),
);

/**
 * A JSON schema for structured output. It is checked when the spec is parsed, so a schema zod cannot
 * read is refused before any model is paid to answer it.
 */
export const JsonSchemaObject = lazySchema(() =>
  z.record(z.string(), z.unknown()).superRefine((schema, ctx) => {
    try {
      z.fromJSONSchema(schema);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `not a usable JSON schema: ${(err as Error).message}` });
    }
  }),
);
export type JsonSchemaObject = z.infer<typeof JsonSchemaObject>;

/** The `with:` block of a spec step of kind `model`. */
export const ModelStepInput = lazySchema(() =>
  z.strictObject({
    prompt: z.string().min(1, 'prompt must be non-empty text'),
    system: z.string().optional(),
    /** Pins one catalogue model by id; the router then tries that model only. */
    model: z.string().min(1).optional(),
    policy: RoutingPolicyName.optional(),
    requires: z
      .strictObject({
        capabilities: z.array(CapabilityName).optional(),
        contextTokens: z.int().positive().optional(),
      })
      .optional(),
    schema: JsonSchemaObject.optional(),
    maxTokens: z.int().positive().max(1_000_000).optional(),
    temperature: z.number().min(0).max(2).optional(),
  }),
);
export type ModelStepInput = z.infer<typeof ModelStepInput>;
