import { z } from 'zod';

/**
 * The spec language. This zod schema is its single source of truth: the API, the worker and the docs
 * all derive from it. Semantic checks that need the whole graph live in spec-validation.ts.
 */

export const StepId = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]*$/,
    'a step id starts with a letter or _ and has only letters, digits and _ (it is used in paths like steps.<id>.output)',
  );

/** The built-in shell tool. `run` is fixed text; values reach it only through env and stdin. */
export const ShellToolInput = z.strictObject({
  run: z.string().min(1, 'run must be a non-empty shell script'),
  env: z
    .record(
      z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name has letters, digits and _'),
      z.unknown(),
    )
    .optional(),
  stdin: z.unknown().optional(),
});
export type ShellToolInput = z.infer<typeof ShellToolInput>;

export const ToolName = { Shell: 'shell' } as const;
export type ToolName = (typeof ToolName)[keyof typeof ToolName];

export const StepKind = { Tool: 'tool' } as const;
export type StepKind = (typeof StepKind)[keyof typeof StepKind];

const stepBase = {
  id: StepId,
  description: z.string().optional(),
  dependsOn: z.array(StepId).default([]),
};

export const ShellStep = z.strictObject({
  ...stepBase,
  kind: z.literal(StepKind.Tool),
  tool: z.literal(ToolName.Shell),
  with: ShellToolInput,
});
export type ShellStep = z.infer<typeof ShellStep>;

export const Step = z.discriminatedUnion('kind', [ShellStep]);
export type Step = z.infer<typeof Step>;

export const Spec = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'a spec name has letters, digits, _, . and -')
    .max(100),
  description: z.string().max(2000).optional(),
  steps: z.array(Step).min(1, 'a spec needs at least one step'),
  output: z.unknown().optional(),
});
export type Spec = z.infer<typeof Spec>;
/** What a spec file or request body holds before defaults are applied. */
export type SpecInput = z.input<typeof Spec>;

export const RunInput = z.record(z.string(), z.unknown());
export type RunInput = z.infer<typeof RunInput>;
