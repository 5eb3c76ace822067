import { z } from 'zod';

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
  Completed: 'completed',
  Failed: 'failed',
  Skipped: 'skipped',
} as const;
export type StepStatus = (typeof StepStatus)[keyof typeof StepStatus];

export const StepSnapshot = z.object({
  id: z.string(),
  status: z.enum(StepStatus),
  kind: z.string(),
  tool: z.string().optional(),
  attempts: z.number().int().optional(),
  startedAt: z.iso.datetime().optional(),
  endedAt: z.iso.datetime().optional(),
  output: z.unknown().optional(),
  error: z.string().optional(),
});
export type StepSnapshot = z.infer<typeof StepSnapshot>;

/** The full state of a run: what the run-state query answers and GET /api/runs/:runId returns. */
export const RunSnapshot = z.object({
  runId: z.string(),
  name: z.string(),
  status: z.enum(RunStatus),
  startedAt: z.iso.datetime(),
  endedAt: z.iso.datetime().optional(),
  steps: z.array(StepSnapshot),
  output: z.unknown().optional(),
  error: z.string().optional(),
});
export type RunSnapshot = z.infer<typeof RunSnapshot>;
