import type { StringValue } from 'ms';
import { z } from 'zod';
import { lazySchema } from './lazy-schema';
import { CapabilityTag } from '../agents/agent-definition';
import { ModelStepInput } from '../models/model-step-input';
import { CollaborationMode, MAX_COLLABORATORS, MAX_DEBATE_ROUNDS } from './collaboration';
import { InputDeclarations } from './spec-inputs';

/**
 * The spec language. This zod schema is its single source of truth: the API, the workflow, the JSON
 * Schema in schemas/ and the docs all derive from it. Checks that need the whole graph (cycles,
 * references, expressions) live in spec-validation.ts.
 */

export const StepId = lazySchema(() =>
  z
    .string()
    .regex(
      /^[A-Za-z_][A-Za-z0-9_]*$/,
      'a step id starts with a letter or _ and has only letters, digits and _ (it is used in paths like steps.<id>.output)',
    ),
);

/** A Temporal duration: `500ms`, `30s`, `5m`, `2h`, `1d`, or spelled out as `10 minutes`. */
export const Duration = lazySchema(
  () =>
    z
      .string()
      .regex(
        /^\d+(\.\d+)?\s*(ms|s|m|h|d|milliseconds?|seconds?|minutes?|hours?|days?)$/,
        'a duration looks like 500ms, 30s, 5m, 2h, 1d or "10 minutes"',
      ) as unknown as z.ZodType<StringValue, string>,
);
export type Duration = StringValue;

/** The built-in shell tool. `run` is fixed text; values reach it only through env and stdin. */
export const ShellToolInput = lazySchema(() =>
  z.strictObject({
    run: z.string().min(1, 'run must be a non-empty shell script'),
    env: z
      .record(
        z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name has letters, digits and _'),
        z.unknown(),
      )
      .optional(),
    stdin: z.unknown().optional(),
    /** The script may use the network; without it, its sandbox has none. */
    network: z.boolean().optional(),
  }),
);
export type ShellToolInput = z.infer<typeof ShellToolInput>;

/** The built-in noop tool answers with its input: for examples, tests and benchmarks with no side effects. */
export const NoopToolInput = lazySchema(() => z.record(z.string(), z.unknown()));

export const ToolName = { Shell: 'shell', Noop: 'noop' } as const;
export type ToolName = (typeof ToolName)[keyof typeof ToolName];

export const StepKind = {
  Tool: 'tool',
  Model: 'model',
  Agent: 'agent',
  Approval: 'approval',
  Wait: 'wait',
  Subworkflow: 'subworkflow',
  Plan: 'plan',
} as const;
export type StepKind = (typeof StepKind)[keyof typeof StepKind];

export const Retry = lazySchema(() =>
  z.strictObject({
    attempts: z.number().int().min(1).max(100),
    backoff: z
      .strictObject({
        initial: Duration.default('1s'),
        coefficient: z.number().min(1).max(10).default(2),
        max: Duration.optional(),
      })
      .optional(),
  }),
);
export type Retry = z.infer<typeof Retry>;

const toolFields = lazySchema(() => ({
  kind: z.literal(StepKind.Tool),
  retry: Retry.optional(),
  timeout: Duration.optional(),
}));

const ShellCall = lazySchema(() =>
  z.strictObject({ ...toolFields, tool: z.literal(ToolName.Shell), with: ShellToolInput }),
);
const NoopCall = lazySchema(() =>
  z.strictObject({
    ...toolFields,
    tool: z.literal(ToolName.Noop),
    with: NoopToolInput.default({}),
  }),
);

/** What a step's `compensate` runs: a tool call, which may read the step's own output. */
export const Compensation = lazySchema(() => z.discriminatedUnion('tool', [ShellCall, NoopCall]));
export type Compensation = z.infer<typeof Compensation>;

/**
 * Temporal's default cap on a workflow's pending activities, and on its pending child workflows
 * (dynamic config limit.numPendingActivities.error and limit.numPendingChildExecutions.error). Steps in
 * flight never exceed it: maxParallel and a foreach's parallelism are held under it.
 */
export const TEMPORAL_PENDING_LIMIT = 2000;

const stepBase = lazySchema(() => ({
  id: StepId,
  description: z.string().optional(),
  dependsOn: z.array(StepId).default([]),
  when: z.string().optional(),
  compensate: Compensation.optional(),
  foreach: z
    .strictObject({
      items: z.string().min(1),
      parallelism: z
        .number()
        .int()
        .min(1)
        .max(TEMPORAL_PENDING_LIMIT, {
          message: `foreach.parallelism is at most ${TEMPORAL_PENDING_LIMIT}: Temporal allows ${TEMPORAL_PENDING_LIMIT} pending activities and ${TEMPORAL_PENDING_LIMIT} pending child workflows per workflow (limit.numPendingActivities.error, limit.numPendingChildExecutions.error)`,
        })
        .default(10),
    })
    .optional(),
  /**
   * Writes to the run's shared context when the step completes: each key's value is a template that may
   * read the step's own output. Later steps read it as `context.<key>`.
   */
  publish: z
    .record(
      z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a context key has letters, digits and _'),
      z.unknown(),
    )
    .optional(),
}));

export const ToolStep = lazySchema(() =>
  z.discriminatedUnion('tool', [ShellCall.extend(stepBase).strict(), NoopCall.extend(stepBase).strict()]),
);
export type ToolStep = z.infer<typeof ToolStep>;

export const ApprovalStep = lazySchema(() =>
  z.strictObject({
    ...stepBase,
    kind: z.literal(StepKind.Approval),
    with: z
      .strictObject({
        message: z.string().optional(),
        timeout: Duration.optional(),
        default: z.enum(['approve', 'reject']).default('reject'),
      })
      .default({ default: 'reject' }),
  }),
);
export type ApprovalStep = z.infer<typeof ApprovalStep>;

/** Asks a model through the router: local first by default, failing over along the chain. */
export const ModelStep = lazySchema(() =>
  z.strictObject({
    ...stepBase,
    kind: z.literal(StepKind.Model),
    timeout: Duration.optional(),
    with: ModelStepInput,
  }),
);
export type ModelStep = z.infer<typeof ModelStep>;

/**
 * Several agents on the same task, in parallel, and how their answers are settled (docs/engine.md,
 * "Collaboration"): `vote` counts their structured outputs, `judge` lets the judge agent choose,
 * `debate` shows each agent the others' answers for `rounds` rounds before the judge decides, and
 * `best-of` takes the answer the evaluator scores highest.
 */
export const Collaborate = lazySchema(() =>
  z.strictObject({
    mode: z.enum(Object.values(CollaborationMode) as [CollaborationMode, ...CollaborationMode[]]),
    agents: z
      .array(z.string().min(1))
      .min(2, 'collaborate.agents lists at least 2 agents: one agent has nobody to agree with')
      .max(MAX_COLLABORATORS, `collaborate.agents lists at most ${MAX_COLLABORATORS} agents`)
      .refine((agents) => new Set(agents).size === agents.length, 'collaborate.agents lists each agent once'),
    /** Debate only: how many rounds the agents may revise their answers after seeing the others'. */
    rounds: z
      .int('rounds is a whole number of debate rounds')
      .min(1, 'a debate has at least 1 round')
      .max(MAX_DEBATE_ROUNDS, `a debate has at most ${MAX_DEBATE_ROUNDS} rounds`)
      .optional(),
    /** Judge and debate: the agent that decides; the reviewer unless named. */
    judge: z.string().min(1).optional(),
  }),
);
export type Collaborate = z.infer<typeof Collaborate>;

/** How many rounds a debate lasts when `rounds` is not given. */
export const DEFAULT_DEBATE_ROUNDS = 2;

/**
 * Gives a task to a specialist agent from the registry (config/agents): a tool-using loop that runs as
 * one activity in the agents pool. Without `compensate`, the agent's own compensation undoes it (for
 * most agents: restoring the workspace snapshot taken before the step). `agent: auto` with `needs`
 * lets Troupe choose among the agents that provide every capability needed (docs/learning.md). With
 * `collaborate`, `agent` may be left out: it reads as the first agent listed.
 */
export const AgentStep = lazySchema(() =>
  z
    .strictObject({
      ...stepBase,
      kind: z.literal(StepKind.Agent),
      /** An agent id from the registry, or `auto`: Troupe chooses by `needs` and earlier outcomes. */
      agent: z.string().min(1).optional(),
      /** With `agent: auto`: the capabilities the chosen agent must provide, all of them. */
      needs: z.array(CapabilityTag).min(1, 'needs lists at least one capability').max(10).optional(),
      /** With `agent: auto`: false chooses by the outcome records' means only, never exploring. */
      explore: z.boolean().optional(),
      /**
       * With `agent: auto`: the only agents Troupe may choose (a planned step gets its plan step's
       * `agents`, so a plan cannot reach an agent it may not name); without it, any agent of the registry.
       */
      candidates: z
        .array(z.string().min(1))
        .min(1, 'candidates lists at least one agent')
        .max(50)
        .refine((agents) => new Set(agents).size === agents.length, 'candidates lists each agent once')
        .optional(),
      /** Several agents on the task, and how their answers are settled. */
      collaborate: Collaborate.optional(),
      timeout: Duration.optional(),
      retry: Retry.optional(),
      with: z.strictObject({
        task: z.string().min(1, 'task must say what the agent should do'),
        context: z.record(z.string(), z.unknown()).optional(),
        repo: z.string().min(1).optional(),
        maxIterations: z.int().positive().max(100).optional(),
      }),
    })
    .superRefine((step, ctx) => {
      if (step.agent === undefined && step.collaborate === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['agent'],
          message:
            'an agent step names its agent (agent: <id> or agent: auto), or lists several in collaborate.agents',
        });
    })
    .transform((step) => ({ ...step, agent: step.agent ?? step.collaborate?.agents[0] ?? '' })),
);
export type AgentStep = z.infer<typeof AgentStep>;

/**
 * Plans a goal: the planner agent answers a graph of steps, each for one specialist agent, and the run
 * checks the plan and adds its steps after this one. A plan that names an unknown agent or step, or has
 * a cycle, fails this step with what is wrong, before any planned step starts.
 */
export const PlanStep = lazySchema(() =>
  z.strictObject({
    ...stepBase,
    kind: z.literal(StepKind.Plan),
    timeout: Duration.optional(),
    retry: Retry.optional(),
    with: z.strictObject({
      goal: z.string().min(1, 'goal must say what the run should achieve'),
      /** The agent that plans. */
      agent: z.string().min(1).default('planner'),
      /** The agents the plan may give steps to; a goal run lists the registry's specialists here. */
      agents: z.array(z.string().min(1)).min(1).optional(),
      /** The workspace every planned step works in. */
      repo: z.string().min(1).optional(),
      maxSteps: z.int().min(1).max(50).default(8),
    }),
  }),
);
export type PlanStep = z.infer<typeof PlanStep>;

export const WaitStep = lazySchema(() =>
  z.strictObject({
    ...stepBase,
    kind: z.literal(StepKind.Wait),
    with: z.strictObject({ duration: Duration }),
  }),
);
export type WaitStep = z.infer<typeof WaitStep>;

export const RunInput = lazySchema(() => z.record(z.string(), z.unknown()));
export type RunInput = z.infer<typeof RunInput>;

const specFields = lazySchema(() => ({
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'a spec name has letters, digits, _, . and -')
    .max(100),
  description: z.string().max(2000).optional(),
  /**
   * What a run takes: each input's type, whether it is required (by default, when it has no default),
   * its default and a description. POST /api/runs and `troupe run` check the input against these before
   * anything starts; a spec without `inputs` takes any input.
   */
  inputs: InputDeclarations.optional(),
  output: z.unknown().optional(),
  maxParallel: z
    .number()
    .int()
    .min(1)
    .max(TEMPORAL_PENDING_LIMIT, {
      message: `maxParallel is at most ${TEMPORAL_PENDING_LIMIT}: Temporal allows ${TEMPORAL_PENDING_LIMIT} pending activities and ${TEMPORAL_PENDING_LIMIT} pending child workflows per workflow (limit.numPendingActivities.error, limit.numPendingChildExecutions.error)`,
    })
    .default(10),
  budget: z.strictObject({ usd: z.number().nonnegative() }).optional(),
  /** Temporal's priority key: 1 is the most urgent, 5 the least. */
  priority: z.number().int().min(1).max(5).optional(),
  /**
   * How parallel writes to the same shared-context key are resolved: the later writer wins; the values
   * merge (objects key by key, lists concatenated; other values fall back to the later writer); or the
   * reviewer agent judges the later value against the earlier one.
   */
  contextPolicy: z.enum(['last-writer', 'merge', 'reviewer']).default('last-writer'),
  /**
   * What a failing step does to the steps still running: `fail-fast` cancels them before the
   * compensations run; `finish-running` lets them finish first.
   */
  onFailure: z.enum(['fail-fast', 'finish-running']).optional(),
  /**
   * Whether `agent: auto` steps may explore (try an agent whose sampled estimate beats the best mean,
   * within a bounded share of choices); false chooses greedily. A step's own `explore` wins.
   */
  explore: z.boolean().optional(),
}));

export const SubworkflowStep = lazySchema(() =>
  z.strictObject({
    ...stepBase,
    kind: z.literal(StepKind.Subworkflow),
    with: z.strictObject({
      get spec() {
        return Spec;
      },
      input: RunInput.optional(),
    }),
  }),
);

export const Step = lazySchema(() =>
  z.discriminatedUnion('kind', [
    ToolStep,
    ModelStep,
    AgentStep,
    ApprovalStep,
    WaitStep,
    SubworkflowStep,
    PlanStep,
  ]),
);

export const Spec = lazySchema(() =>
  z.strictObject({
    ...specFields,
    steps: z.array(Step).min(1, 'a spec needs at least one step'),
  }),
);

export type SubworkflowStep = z.infer<typeof SubworkflowStep>;
export type Step = z.infer<typeof Step>;
export type Spec = z.infer<typeof Spec>;
/** What a spec file or request body holds before defaults are applied. */
export type SpecInput = z.input<typeof Spec>;
