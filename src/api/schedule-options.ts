import type { ScheduleOptions, ScheduleOptionsStartWorkflowAction } from '@temporalio/client';
import { z } from 'zod';
import type { Config } from '../config';
import { Duration, RunInput, type Spec } from '../engine/spec';
import { resolveRunInput, runStartOptions } from './run-start';
import { SpecName } from './spec-store';

export const OverlapPolicy = {
  Skip: 'skip',
  BufferOne: 'buffer-one',
  BufferAll: 'buffer-all',
  CancelOther: 'cancel-other',
  TerminateOther: 'terminate-other',
  AllowAll: 'allow-all',
} as const;
export type OverlapPolicy = (typeof OverlapPolicy)[keyof typeof OverlapPolicy];

/** Temporal's name for each overlap policy. */
export const temporalOverlap = (policy: OverlapPolicy) =>
  policy.toUpperCase().replace('-', '_') as
    'SKIP' | 'BUFFER_ONE' | 'BUFFER_ALL' | 'CANCEL_OTHER' | 'TERMINATE_OTHER' | 'ALLOW_ALL';
export const fromTemporalOverlap = (policy: string) =>
  policy.toLowerCase().replace('_', '-') as OverlapPolicy;

export const ScheduleId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, 'letters, digits, _, . and - only');

const ScheduleFields = z.strictObject({
  specName: SpecName,
  input: RunInput.default({}),
  /** Cron expressions, e.g. `0 9 * * MON-FRI`. */
  cron: z.array(z.string().min(1)).min(1).optional(),
  /** An interval, e.g. `2s`, `15m`, `1h`. */
  every: Duration.optional(),
  overlap: z.enum(OverlapPolicy).default(OverlapPolicy.Skip),
  /** How late a missed action may still run after an outage, e.g. `10m`. */
  catchupWindow: Duration.default('1m'),
  paused: z.boolean().default(false),
  note: z.string().max(500).optional(),
});

const needsTiming = (value: { cron?: unknown; every?: unknown }) =>
  value.cron !== undefined || value.every !== undefined;
const timingIssue = { message: 'give `cron` or `every`', path: ['every'] };

export const CreateScheduleRequest = ScheduleFields.extend({ id: ScheduleId }).refine(
  needsTiming,
  timingIssue,
);
export type CreateScheduleRequest = z.infer<typeof CreateScheduleRequest>;
export const UpdateScheduleRequest = ScheduleFields.refine(needsTiming, timingIssue);
export type UpdateScheduleRequest = z.infer<typeof UpdateScheduleRequest>;

export const BackfillRequest = z.strictObject({
  start: z.iso.datetime({ offset: true }),
  end: z.iso.datetime({ offset: true }),
  overlap: z.enum(OverlapPolicy).default(OverlapPolicy.AllowAll),
});
/**
 * "Trigger now" starts a run now, even while a scheduled one is still going or the schedule is paused:
 * under the schedule's own buffer or skip policy a trigger would wait, and a paused schedule never
 * starts what it buffered. `overlap` asks for the schedule's kind of wait instead.
 */
export const TriggerRequest = z.strictObject({
  overlap: z.enum(OverlapPolicy).default(OverlapPolicy.AllowAll),
});
export const NoteRequest = z.strictObject({ note: z.string().max(500).optional() });

export const ScheduleView = z.object({
  id: z.string(),
  specName: z.string().optional(),
  paused: z.boolean(),
  note: z.string().optional(),
  cron: z.array(z.string()),
  every: z.array(z.string()),
  overlap: z.string().optional(),
  catchupWindowMs: z.number().optional(),
  input: z.unknown().optional(),
  nextRuns: z.array(z.iso.datetime()),
  /** Every run the schedule has started, counted by Temporal: `recentRuns` keeps only the last 10. */
  runsStarted: z.number().int(),
  running: z.array(z.string()),
  recentRuns: z.array(
    z.object({ runId: z.string(), scheduledAt: z.iso.datetime(), takenAt: z.iso.datetime() }),
  ),
});
export type ScheduleView = z.infer<typeof ScheduleView>;
export const ScheduleListResponse = z.object({ schedules: z.array(ScheduleView) });

/**
 * The Temporal schedule for a saved spec: its action starts `runWorkflow` with the same options as
 * POST /api/runs. The spec is copied in at create/update time, so editing the saved spec later does
 * not change a schedule until it is updated.
 */
export function scheduleOptions(
  config: Config,
  id: string,
  request: UpdateScheduleRequest,
  spec: Spec,
): ScheduleOptions {
  const { workflowType, taskQueue, args, memo, typedSearchAttributes, staticSummary, staticDetails } =
    runStartOptions(config, spec, resolveRunInput(spec, request.input));
  const action: ScheduleOptionsStartWorkflowAction<never> = {
    type: 'startWorkflow',
    workflowType,
    workflowId: `${id}`,
    taskQueue,
    args: args as never,
    memo: { ...memo, schedule: { id, specName: request.specName, cron: request.cron, every: request.every } },
    typedSearchAttributes,
    staticSummary,
    staticDetails,
  };
  return {
    scheduleId: id,
    spec: {
      ...(request.cron && { cronExpressions: request.cron }),
      ...(request.every && { intervals: [{ every: request.every }] }),
    },
    action,
    policies: { overlap: temporalOverlap(request.overlap), catchupWindow: request.catchupWindow },
    state: { paused: request.paused, ...(request.note && { note: request.note }) },
    memo: { troupe: true },
  };
}
