import { z } from 'zod';
import { RunSnapshot, StepSnapshot } from '../engine/run-snapshot';

/** Client -> server: watch a run (`subscribe`) or stop (`unsubscribe`); both are acknowledged. */
export const SubscribeRequest = z.strictObject({ runId: z.string().min(1).max(200) });
export type SubscribeRequest = z.infer<typeof SubscribeRequest>;

export const SubscribeAck = z.union([
  z.object({ ok: z.literal(true), version: z.number().int() }),
  z.object({ ok: z.literal(false), error: z.string() }),
]);
export type SubscribeAck = z.infer<typeof SubscribeAck>;

/** Server -> client, first after a subscribe: the whole run at `version`. */
export const RunSnapshotEvent = z.object({ runId: z.string(), version: z.number().int(), run: RunSnapshot });
export type RunSnapshotEvent = z.infer<typeof RunSnapshotEvent>;

/**
 * Server -> client after the snapshot: what changed from version `from` to `version`. Each delta's
 * `from` is the previous message's `version`, so a client sees a gap or a duplicate at once.
 */
export const RunDeltaEvent = z.object({
  runId: z.string(),
  from: z.number().int(),
  version: z.number().int(),
  run: RunSnapshot.omit({ steps: true, compensations: true }),
  /** Only the steps whose state changed, whole. */
  steps: z.array(StepSnapshot),
  compensations: RunSnapshot.shape.compensations.optional(),
  /** When the server sent it (epoch ms), so clients and the benchmark can measure delivery time. */
  sentAt: z.number(),
});
export type RunDeltaEvent = z.infer<typeof RunDeltaEvent>;

/**
 * Server -> every client: an evaluation raised a regression (a run more than 10% worse than its
 * spec's baseline in one metric). Sent once per run and metric, cluster-wide; `id` is that pair.
 */
export const RegressionAlert = z.object({
  id: z.string(),
  kind: z.literal('regression'),
  runId: z.string(),
  specName: z.string(),
  metric: z.enum(['score', 'costUsd', 'durationMs']),
  value: z.number(),
  baseline: z.number(),
  /** How much worse, as a fraction of the baseline; null when the baseline is 0. */
  worseBy: z.number().nullable(),
  message: z.string(),
  /** When the run ended, and when the alert was raised (ISO 8601). */
  endedAt: z.string(),
  raisedAt: z.string(),
});
export type RegressionAlert = z.infer<typeof RegressionAlert>;

export const LiveEvent = {
  Subscribe: 'subscribe',
  Unsubscribe: 'unsubscribe',
  Snapshot: 'run:snapshot',
  Delta: 'run:delta',
  /** Server -> client: a model call's new text (a TokenChunk), while a step streams it. */
  Tokens: 'run:tokens',
  /** Joins the agents room: the live status of every agent now, and again whenever it changes. */
  AgentsSubscribe: 'agents:subscribe',
  AgentsStatus: 'agents:status',
  /** Server -> every connected client, unasked: a RegressionAlert. */
  Alert: 'alert',
} as const;

/** The delta between two snapshots of one run. */
export function diffRun(before: RunSnapshot, after: RunSnapshot): RunDeltaEvent {
  const previous = new Map(before.steps.map((step) => [step.id, JSON.stringify(step)]));
  const { steps, compensations, ...run } = after;
  const changedCompensations = JSON.stringify(before.compensations) !== JSON.stringify(compensations);
  return {
    runId: after.runId,
    from: before.version,
    version: after.version,
    run,
    steps: steps.filter((step) => previous.get(step.id) !== JSON.stringify(step)),
    ...(changedCompensations && { compensations }),
    sentAt: Date.now(),
  };
}
