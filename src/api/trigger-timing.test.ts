import type { ScheduleDescription } from '@temporalio/client';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { triggerDelayMs } from './trigger-timing';

const at = (iso: string) => Date.parse(iso);
const runId = (ms: number) =>
  `nightly-${new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000', '')}`;

function description(options: { recent?: number[]; running?: number[]; next?: number[]; paused?: boolean }) {
  const workflow = (ms: number) => ({ workflow: { workflowId: runId(ms), firstExecutionRunId: 'r' } });
  return {
    state: { paused: options.paused ?? false },
    info: {
      recentActions: (options.recent ?? []).map((ms) => ({
        scheduledAt: new Date(ms),
        takenAt: new Date(ms),
        action: { type: 'startWorkflow', ...workflow(ms) },
      })),
      runningActions: (options.running ?? []).map((ms) => ({ type: 'startWorkflow', ...workflow(ms) })),
      nextActionTimes: (options.next ?? []).map((ms) => new Date(ms)),
    },
  } as unknown as ScheduleDescription;
}

describe('triggerDelayMs', () => {
  it('goes at once when no run holds the current second', () => {
    const now = at('2026-12-03T08:40:03.400Z');
    expect(triggerDelayMs('nightly', description({ recent: [at('2026-12-03T08:40:02Z')] }), now)).toBe(0);
  });

  it('waits for the next second when the latest scheduled run holds this one', () => {
    const now = at('2026-12-03T08:40:02.300Z');
    const delay = triggerDelayMs(
      'nightly',
      description({ recent: [at('2026-12-03T08:40:02Z')], paused: true }),
      now,
    );
    expect(delay).toBe(720);
  });

  it('skips an upcoming run of an active schedule, but not of a paused one', () => {
    const now = at('2026-12-03T08:40:02.300Z');
    const busy = { recent: [at('2026-12-03T08:40:02Z')], next: [at('2026-12-03T08:40:03Z')] };
    expect(triggerDelayMs('nightly', description(busy), now)).toBe(1720);
    expect(triggerDelayMs('nightly', description({ ...busy, paused: true }), now)).toBe(720);
  });

  it('ignores workflow ids of other shapes', () => {
    const now = at('2026-12-03T08:40:02.300Z');
    const other = description({});
    other.info.runningActions.push({
      type: 'startWorkflow',
      workflow: { workflowId: 'nightly-x', firstExecutionRunId: 'r' },
    });
    expect(triggerDelayMs('nightly', other, now)).toBe(0);
  });

  it('always lands in a second that no run holds, within a few seconds', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1_700_000_000_000, max: 1_900_000_000_000 }),
        fc.array(fc.integer({ min: -5_000, max: 5_000 }), { maxLength: 8 }),
        fc.boolean(),
        (now, offsets, paused) => {
          const times = offsets.map((offset) => now + offset);
          const past = times.filter((time) => time <= now);
          const future = times.filter((time) => time > now);
          const schedule = description({ recent: past, next: future, paused });
          const delay = triggerDelayMs('nightly', schedule, now);
          const second = Math.floor((now + delay) / 1000);
          const held = [...past, ...(paused ? [] : future.filter((time) => time - now <= 3_000))];
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(held.map((time) => Math.floor(time / 1000))).not.toContain(second);
          expect(delay).toBeLessThanOrEqual((held.length + 1) * 1000);
        },
      ),
    );
  });
});
