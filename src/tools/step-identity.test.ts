import { describe, expect, it } from 'vitest';
import { idempotencyKey, stepEnv } from './step-identity';

describe('step identity', () => {
  it('keeps the idempotency key across attempts and tells steps, items and compensations apart', () => {
    const base = { runId: 'run-1', stepId: 'pay' };
    const first = stepEnv({ ...base, attempt: 1 });
    const second = stepEnv({ ...base, attempt: 2 });
    expect(first.TROUPE_IDEMPOTENCY_KEY).toBe(second.TROUPE_IDEMPOTENCY_KEY);
    expect([first.TROUPE_STEP_ATTEMPT, second.TROUPE_STEP_ATTEMPT]).toEqual(['1', '2']);
    const keys = [
      idempotencyKey(base),
      idempotencyKey({ ...base, index: 0 }),
      idempotencyKey({ ...base, index: 1 }),
      idempotencyKey({ ...base, compensation: true }),
      idempotencyKey({ runId: 'run-1:pay', stepId: '' }),
      idempotencyKey({ runId: 'run-2', stepId: 'pay' }),
    ];
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.every((key) => /^[0-9a-f]{32}$/.test(key))).toBe(true);
    expect(stepEnv({ ...base, index: 3, attempt: 1 }).TROUPE_FOREACH_INDEX).toBe('3');
  });
});
