/**
 * Baselines and regressions. A baseline is the rolling median of the last `window` runs of the same
 * spec (or steps of the same agent); a run more than `threshold` (10%) worse than its baseline in
 * score (lower), cost or duration (higher) raises a regression. Pure.
 */

export const RegressionThreshold = 0.1;
export const BaselineWindow = 20;
/** Fewer earlier samples than this and there is no baseline yet, so nothing can regress. */
export const MinBaselineSamples = 5;

export const Metric = { Score: 'score', CostUsd: 'costUsd', DurationMs: 'durationMs' } as const;
export type Metric = (typeof Metric)[keyof typeof Metric];

export type Sample = { score: number; costUsd: number; durationMs: number };
export type Baseline = Sample & { samples: number };

export type Regression = {
  metric: Metric;
  value: number;
  baseline: number;
  /** How much worse, as a fraction of the baseline: 0.25 is 25% worse. */
  worseBy: number;
  message: string;
};

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('the median of no values is undefined');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The baseline from earlier samples, oldest first: the median of the last `window`, or none. */
export function baselineOf(earlier: readonly Sample[], window = BaselineWindow): Baseline | undefined {
  const recent = earlier.slice(-window);
  if (recent.length < MinBaselineSamples) return undefined;
  return {
    score: median(recent.map((s) => s.score)),
    costUsd: median(recent.map((s) => s.costUsd)),
    durationMs: median(recent.map((s) => s.durationMs)),
    samples: recent.length,
  };
}

const units: Record<Metric, (x: number) => string> = {
  score: (x) => x.toFixed(1),
  costUsd: (x) => `$${x.toFixed(4)}`,
  durationMs: (x) => `${Math.round(x)} ms`,
};

/**
 * The regressions of one sample against a baseline. Score regresses when it is below
 * baseline × (1 − threshold); cost and duration when above baseline × (1 + threshold). A zero
 * baseline cost or duration regresses on any positive value above an absolute epsilon.
 */
export function regressionsOf(
  sample: Sample,
  baseline: Baseline,
  threshold = RegressionThreshold,
): Regression[] {
  const out: Regression[] = [];
  const check = (metric: Metric, value: number, base: number, higherIsWorse: boolean) => {
    const worse = higherIsWorse ? value - base : base - value;
    const limit = Math.abs(base) * threshold;
    if (worse > limit && worse > 1e-9) {
      const worseBy = base !== 0 ? worse / Math.abs(base) : Number.POSITIVE_INFINITY;
      const pct = Number.isFinite(worseBy) ? `${(worseBy * 100).toFixed(0)}%` : 'infinitely';
      out.push({
        metric,
        value,
        baseline: base,
        worseBy,
        message: `${metric} ${units[metric](value)} is ${pct} ${higherIsWorse ? 'above' : 'below'} the baseline ${units[metric](base)} (median of ${baseline.samples}; threshold ${threshold * 100}%)`,
      });
    }
  };
  check(Metric.Score, sample.score, baseline.score, false);
  check(Metric.CostUsd, sample.costUsd, baseline.costUsd, true);
  check(Metric.DurationMs, sample.durationMs, baseline.durationMs, true);
  return out;
}
