/**
 * Success prediction from the records: a Beta-Binomial per step (its agent and model, in its context),
 * shrunk toward the arm's rate over all contexts, moved by the context's effect (how the other arms
 * there fare against their own rates), and that rate toward the arm's prior (the catalogue's, when the
 * caller gives one) or else the global rate, combined over the run's graph as the product of its
 * steps' chances (every step must succeed). Cost and duration are sums of each step's mean. Records
 * age: each weighs half as much after `halfLife` newer records, so a model that changed is soon judged
 * by what it does now. Calibration: Brier score against the base rate, and a reliability table. Pure.
 */

export type Tally = { successes: number; failures: number; costUsd: number; durationMs: number };
export type StepKey = {
  context: string;
  arm: string;
  /** The arm's chance before any record of it (the catalogue's prior); without it, the global rate. */
  prior?: number;
};

export type StepPrediction = {
  step: string;
  arm: string;
  success: number;
  /** Records behind the estimate in this exact context. */
  records: number;
  /** 90% interval of the posterior. */
  low: number;
  high: number;
  costUsd: number;
  durationMs: number;
};

export type RunPrediction = {
  success: number;
  costUsd: number;
  durationMs: number;
  /** low, medium or high by the fewest records behind any step. */
  confidence: 'low' | 'medium' | 'high';
  steps: StepPrediction[];
  /** Set when success is under 50%: the step most likely to fail. */
  riskStep?: string;
  explanation: string;
};

const empty = (): Tally => ({ successes: 0, failures: 0, costUsd: 0, durationMs: 0 });
const n = (t: Tally) => t.successes + t.failures;

export type PredictorOptions = {
  /** Pseudo-counts each level of shrinkage carries. */
  strength: { arm: number; global: number };
  /** Newer records after which a record weighs half; Infinity keeps every record at full weight. */
  halfLife: number;
  /** Pseudo-records behind a context's effect on its arms (0 turns it off). */
  contextStrength: number;
};
export const DefaultPredictorOptions: PredictorOptions = {
  strength: { arm: 2, global: 2 },
  halfLife: 500,
  contextStrength: 2,
};

/**
 * A tally with how many records it holds (unaged, for the confidence) and the record count at which it
 * was last brought up to date, for ageing it lazily.
 */
type AgedTally = Tally & { records: number; at: number };

export class SuccessPredictor {
  private readonly exact = new Map<string, AgedTally>();
  private readonly byArm = new Map<string, AgedTally>();
  /** The arms recorded in each context. */
  private readonly armsIn = new Map<string, Set<string>>();
  private readonly all: AgedTally = { ...empty(), records: 0, at: 0 };
  private readonly options: PredictorOptions;
  private readonly keep: number;
  private records = 0;

  constructor(options: Partial<PredictorOptions> = {}) {
    this.options = { ...DefaultPredictorOptions, ...options };
    this.keep = 0.5 ** (1 / this.options.halfLife);
  }

  record(key: StepKey, outcome: { success: boolean; costUsd: number; durationMs: number }): void {
    this.records += 1;
    let arms = this.armsIn.get(key.context);
    if (!arms) this.armsIn.set(key.context, (arms = new Set()));
    arms.add(key.arm);
    for (const t of [
      this.tally(this.exact, `${key.context}|${key.arm}`),
      this.tally(this.byArm, key.arm),
      this.aged(this.all),
    ]) {
      if (outcome.success) t.successes += 1;
      else t.failures += 1;
      t.records += 1;
      t.costUsd += outcome.costUsd;
      t.durationMs += outcome.durationMs;
    }
  }

  /** Brings a tally's weights to the current record count. */
  private aged(t: AgedTally): AgedTally {
    const factor = this.keep ** (this.records - t.at);
    if (factor !== 1) {
      t.successes *= factor;
      t.failures *= factor;
      t.costUsd *= factor;
      t.durationMs *= factor;
    }
    t.at = this.records;
    return t;
  }

  private tally(map: Map<string, AgedTally>, key: string): AgedTally {
    let t = map.get(key);
    if (!t) map.set(key, (t = { ...empty(), records: 0, at: this.records }));
    return this.aged(t);
  }

  private find(map: Map<string, AgedTally>, key: string): AgedTally {
    const t = map.get(key);
    return t ? this.aged(t) : { ...empty(), records: 0, at: this.records };
  }

  /** The global rate with a uniform prior. */
  baseRate(): number {
    const all = this.aged(this.all);
    return (all.successes + 1) / (n(all) + 2);
  }

  predictStep(step: string, key: StepKey): StepPrediction {
    const { strength } = this.options;
    const exact = this.find(this.exact, `${key.context}|${key.arm}`);
    const arm = this.find(this.byArm, key.arm);
    const global = this.baseRate();
    const rate = (t: Tally, prior: number) =>
      (t.successes + strength.global * prior) / (n(t) + strength.global);
    // The context's effect: how far the other arms recorded in this context fall short of (or beat)
    // their rates over all contexts, weighed by their records and shrunk toward none. A hard context
    // (large inputs, say) then starts an arm new to it below that arm's rate elsewhere.
    let shortfall = 0;
    let weight = 0;
    if (this.options.contextStrength > 0) {
      for (const other of this.armsIn.get(key.context) ?? []) {
        if (other === key.arm) continue;
        const cell = this.find(this.exact, `${key.context}|${other}`);
        shortfall += cell.successes - n(cell) * rate(this.find(this.byArm, other), global);
        weight += n(cell);
      }
    }
    const effect = weight > 0 ? shortfall / (weight + this.options.contextStrength) : 0;
    const armMean = Math.min(0.99, Math.max(0.01, rate(arm, key.prior ?? global) + effect));
    const alpha = exact.successes + strength.arm * armMean;
    const beta = exact.failures + strength.arm * (1 - armMean);
    const mean = alpha / (alpha + beta);
    const sd = Math.sqrt((alpha * beta) / ((alpha + beta) ** 2 * (alpha + beta + 1)));
    const source = n(exact) > 0 ? exact : n(arm) > 0 ? arm : this.aged(this.all);
    const per = (x: number) => (n(source) > 0 ? x / n(source) : 0);
    return {
      step,
      arm: key.arm,
      success: mean,
      records: exact.records,
      low: Math.max(0, mean - 1.645 * sd),
      high: Math.min(1, mean + 1.645 * sd),
      costUsd: per(source.costUsd),
      durationMs: Math.round(per(source.durationMs)),
    };
  }

  /**
   * A run's prediction over its steps. A step that has ended is no longer a guess: `done` (it succeeded
   * or was skipped) counts as certain, `failed` as no chance, and neither adds cost or time to come.
   */
  predictRun(
    steps: ReadonlyArray<{ id: string } & StepKey & { done?: boolean; failed?: boolean }>,
  ): RunPrediction {
    const ended = (success: number) => ({ success, low: success, high: success, costUsd: 0, durationMs: 0 });
    const preds = steps.map((s) =>
      s.failed
        ? { ...this.predictStep(s.id, s), ...ended(0) }
        : s.done
          ? { ...this.predictStep(s.id, s), ...ended(1) }
          : this.predictStep(s.id, s),
    );
    const endedAs = new Map(
      steps.flatMap((s) => (s.failed ? [[s.id, 'failed']] : s.done ? [[s.id, 'done']] : [])),
    );
    const success = preds.reduce((p, s) => p * s.success, 1);
    const fewest = Math.min(...preds.map((p) => (endedAs.has(p.step) ? Infinity : p.records)));
    const confidence = fewest >= 20 ? 'high' : fewest >= 5 ? 'medium' : 'low';
    const risk = [...preds].sort((a, b) => a.success - b.success)[0];
    const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
    return {
      success,
      costUsd: preds.reduce((c, s) => c + s.costUsd, 0),
      durationMs: preds.reduce((c, s) => c + s.durationMs, 0),
      confidence: Number.isFinite(fewest) ? confidence : 'high',
      steps: preds,
      ...(success < 0.5 && risk ? { riskStep: risk.step } : {}),
      explanation:
        `${pct(success)} = product of ${preds.map((p) => (endedAs.has(p.step) ? `${p.step} ${endedAs.get(p.step)}` : `${p.step} ${pct(p.success)} (${p.records} records)`)).join(' × ')}` +
        (success < 0.5 && risk ? `; the risk is step ${risk.step} at ${pct(risk.success)}` : ''),
    };
  }
}

/** Mean squared error of probabilities against outcomes; lower is better. */
export function brierScore(pairs: ReadonlyArray<{ p: number; outcome: boolean }>): number {
  if (pairs.length === 0) return 0;
  return pairs.reduce((sum, { p, outcome }) => sum + (p - (outcome ? 1 : 0)) ** 2, 0) / pairs.length;
}

export type ReliabilityRow = {
  from: number;
  to: number;
  count: number;
  meanPredicted: number;
  observedRate: number;
};

/** Predictions binned by probability, with what was predicted and what happened in each bin. */
export function reliabilityTable(
  pairs: ReadonlyArray<{ p: number; outcome: boolean }>,
  bins = 10,
): ReliabilityRow[] {
  const rows: ReliabilityRow[] = [];
  for (let i = 0; i < bins; i++) {
    const from = i / bins;
    const to = (i + 1) / bins;
    const inBin = pairs.filter(({ p }) => (p >= from && p < to) || (i === bins - 1 && p === 1));
    if (inBin.length === 0) continue;
    rows.push({
      from,
      to,
      count: inBin.length,
      meanPredicted: inBin.reduce((s, x) => s + x.p, 0) / inBin.length,
      observedRate: inBin.filter((x) => x.outcome).length / inBin.length,
    });
  }
  return rows;
}
