import { createHash } from 'node:crypto';

export type StepIdentity = {
  runId: string;
  stepId: string;
  /** The item's index in a foreach step. */
  index?: number | undefined;
  /** The activity attempt, 1 for the first. */
  attempt: number;
  /** True for a step's compensation, which must not share the step's key. */
  compensation?: boolean | undefined;
};

/** The same for every attempt of one step (or foreach item, or compensation), and for nothing else. */
export function idempotencyKey({
  runId,
  stepId,
  index,
  compensation,
}: Omit<StepIdentity, 'attempt'>): string {
  const parts = [runId, stepId, index ?? null, compensation ? 'compensate' : 'run'];
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);
}

/**
 * What every command of a step learns about itself: which run and step, which attempt, and a key
 * that stays the same across attempts, so a script whose effect must not repeat can detect a retry.
 */
export function stepEnv(identity: StepIdentity): Record<string, string> {
  return {
    TROUPE_RUN_ID: identity.runId,
    TROUPE_STEP_ID: identity.stepId,
    ...(identity.index !== undefined && { TROUPE_FOREACH_INDEX: String(identity.index) }),
    TROUPE_STEP_ATTEMPT: String(identity.attempt),
    TROUPE_ATTEMPT: String(identity.attempt),
    TROUPE_IDEMPOTENCY_KEY: idempotencyKey(identity),
  };
}
