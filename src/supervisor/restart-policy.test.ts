import { describe, expect, it } from 'vitest';
import { RestartTracker } from './restart-policy';

const policy = { maxRestarts: 3, windowMs: 60_000, baseDelayMs: 500, maxDelayMs: 1_500 };

describe('RestartTracker', () => {
  it('doubles the delay for each restart in the window, up to the maximum', () => {
    const tracker = new RestartTracker(policy);
    expect([0, 1000, 2000].map((now) => tracker.crashed(now))).toEqual([
      { restart: true, delayMs: 500, attempt: 1 },
      { restart: true, delayMs: 1000, attempt: 2 },
      { restart: true, delayMs: 1500, attempt: 3 },
    ]);
  });

  it('gives up after the limit of restarts within the window', () => {
    const tracker = new RestartTracker(policy);
    for (const now of [0, 1000, 2000]) tracker.crashed(now);
    expect(tracker.crashed(3000)).toEqual({ restart: false, restartsInWindow: 3 });
  });

  it('forgets restarts older than the window, so a part that crashes rarely is always restarted', () => {
    const tracker = new RestartTracker(policy);
    for (let minute = 0; minute < 20; minute += 1) {
      expect(tracker.crashed(minute * 61_000)).toEqual({ restart: true, delayMs: 500, attempt: 1 });
    }
    expect(tracker.total).toBe(20);
  });
});
