import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { learningCurve, type CurveEvidence } from './learning-curve';

const days = ['2026-03-01', '2026-03-02'];
const context = 'agent:tests:small';

let seq = 0;
/** A record of a step run by `agent`; with `choice`, an `agent: auto` choice between tester and coder. */
function record(agent: string, success: boolean, day: string, choice = true): CurveEvidence {
  seq += 1;
  return {
    runId: `r${String(seq).padStart(4, '0')}`,
    stepId: 'check',
    agent,
    success,
    score: success ? 100 : 0,
    costUsd: 0,
    endedAt: `${day}T00:00:${String(seq % 60).padStart(2, '0')}.000Z`,
    features: { stepKind: 'agent', capabilities: ['tests'], inputTokens: 0 },
    ...(choice && {
      choice: {
        agent,
        context,
        explored: false,
        alternatives: [
          { agent: 'coder', estimate: 0.5, successMean: 0.7, qualityMean: 0.7, observations: 0 },
          { agent: 'tester', estimate: 0.6, successMean: 0.8, qualityMean: 0.8, observations: 0 },
        ],
      },
    }),
  };
}

describe('the learning curve', () => {
  it('counts a choice optimal when its agent is the best in hindsight, per day and cumulatively', () => {
    // In hindsight the tester succeeds always, the coder never: choices of tester are optimal.
    const records = [
      record('coder', false, '2026-03-01'),
      record('coder', false, '2026-03-01'),
      record('tester', true, '2026-03-01'),
      record('tester', true, '2026-03-02'),
      record('tester', true, '2026-03-02'),
      record('tester', true, '2026-03-02', false),
    ];
    const curve = learningCurve(records, { days, window: 2 });
    expect(curve).toMatchObject({ choices: 5, optimal: 3, share: 0.6 });
    expect(curve.byDay).toEqual([
      { day: '2026-03-01', choices: 3, optimal: 1, share: 1 / 3, cumulativeShare: 1 / 3 },
      { day: '2026-03-02', choices: 2, optimal: 2, share: 1, cumulativeShare: 0.6 },
    ]);
    expect(curve.windows.map((w) => [w.first, w.last, w.optimal])).toEqual([
      [1, 2, 0],
      [3, 4, 2],
      [5, 5, 1],
    ]);
    const [ctx] = curve.contexts;
    expect(ctx).toMatchObject({ context, best: 'tester', choices: 5, optimal: 3 });
    // The record without a choice still counts as evidence: the tester has four.
    expect(ctx!.estimates.find((e) => e.agent === 'tester')?.records).toBe(4);
    expect(curve.definition).toMatch(/hindsight/);
  });

  it('has no share without choices, and leaves days without choices unshared', () => {
    const curve = learningCurve([record('tester', true, '2026-03-01', false)], { days });
    expect(curve.choices).toBe(0);
    expect(curve.share).toBeUndefined();
    expect(curve.byDay.every((d) => d.share === undefined)).toBe(true);
    expect(curve.windows).toEqual([]);
  });

  it('keeps shares in [0, 1] and counts that add up, whatever the outcomes', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            agent: fc.constantFrom('coder', 'tester'),
            success: fc.boolean(),
            day: fc.constantFrom('2026-02-28', ...days),
            choice: fc.boolean(),
          }),
          { maxLength: 50 },
        ),
        fc.integer({ min: 1, max: 12 }),
        (rows, window) => {
          const curve = learningCurve(
            rows.map((r) => record(r.agent, r.success, r.day, r.choice)),
            { days, window },
          );
          const inRange = rows.filter((r) => r.choice && days.includes(r.day)).length;
          expect(curve.choices).toBe(inRange);
          expect(curve.byDay.reduce((n, d) => n + d.choices, 0)).toBe(curve.choices);
          expect(curve.windows.reduce((n, w) => n + w.optimal, 0)).toBe(curve.optimal);
          expect(curve.optimal).toBeLessThanOrEqual(curve.choices);
          for (const share of [curve.share, ...curve.byDay.flatMap((d) => [d.share, d.cumulativeShare])])
            if (share !== undefined) expect(share >= 0 && share <= 1).toBe(true);
          // Some candidate is always the best: a context never has every choice wrong by definition.
          for (const ctx of curve.contexts) expect(ctx.estimates[0]?.agent).toBe(ctx.best);
        },
      ),
    );
  });
});
