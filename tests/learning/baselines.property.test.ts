import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { baselineOf, median, regressionsOf, type Sample } from '../../src/learning/baselines';

const sample = fc.record({
  score: fc.double({ min: 0, max: 100, noNaN: true }),
  costUsd: fc.double({ min: 0, max: 10, noNaN: true }),
  durationMs: fc.double({ min: 0, max: 1e6, noNaN: true }),
});

describe('baselines and regressions', () => {
  it('has no baseline before five samples, then the median of the last twenty', () => {
    const s = (score: number): Sample => ({ score, costUsd: 0.01, durationMs: 1000 });
    expect(baselineOf([1, 2, 3, 4].map(s))).toBeUndefined();
    expect(baselineOf([1, 2, 3, 4, 100].map(s))?.score).toBe(3);
    const many = Array.from({ length: 30 }, (_, i) => s(i));
    expect(baselineOf(many)).toMatchObject({ score: 19.5, samples: 20 });
  });

  it('flags exactly the metrics more than 10% worse than the baseline, with the numbers', () => {
    fc.assert(
      fc.property(fc.array(sample, { minLength: 5, maxLength: 40 }), sample, (earlier, now) => {
        const base = baselineOf(earlier)!;
        const flagged = new Set(regressionsOf(now, base).map((r) => r.metric));
        expect(flagged.has('score')).toBe(
          base.score - now.score > 0.1 * base.score && base.score - now.score > 1e-9,
        );
        expect(flagged.has('costUsd')).toBe(
          now.costUsd - base.costUsd > 0.1 * base.costUsd && now.costUsd - base.costUsd > 1e-9,
        );
        expect(flagged.has('durationMs')).toBe(
          now.durationMs - base.durationMs > 0.1 * base.durationMs && now.durationMs - base.durationMs > 1e-9,
        );
      }),
    );
  });

  it('never flags a sample equal to its baseline', () => {
    fc.assert(
      fc.property(fc.array(sample, { minLength: 5, maxLength: 40 }), (earlier) => {
        const base = baselineOf(earlier)!;
        expect(regressionsOf(base, base)).toEqual([]);
      }),
    );
  });

  it('says how much slower a slow run is against which baseline', () => {
    const earlier = Array.from({ length: 10 }, () => ({ score: 90, costUsd: 0, durationMs: 1000 }));
    const [r] = regressionsOf({ score: 90, costUsd: 0, durationMs: 1500 }, baselineOf(earlier)!);
    expect(r).toMatchObject({ metric: 'durationMs', value: 1500, baseline: 1000, worseBy: 0.5 });
    expect(r?.message).toBe(
      'durationMs 1500 ms is 50% above the baseline 1000 ms (median of 10; threshold 10%)',
    );
  });

  it('takes the median of odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(() => median([])).toThrow(/no values/);
  });
});
