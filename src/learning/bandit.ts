/**
 * Learned selection: a contextual Thompson-sampling bandit over agent × model arms. Each (context,
 * arm) keeps a Beta posterior over success and a running mean of the score on success, discounted so
 * that the bandit follows slow drift, and a change detector for a sudden one (an arm whose last few
 * outcomes fall well below its long run forgets the long run). The prior comes from the catalogue
 * (capability match and quality), moved in each context by how the arms tried there fare against
 * theirs, so a context that is harder than the catalogue knows starts its untried arms lower.
 * Success first: reward (success × quality − cost) decides only among the arms not credibly less
 * successful than the most successful one, so a cheaper arm is chosen only while it may be as good.
 * Choices respect the run's remaining budget and each model's load, exploration is bounded and can be
 * switched off, and every choice carries its reason and every alternative's estimate. Pure: the
 * caller passes the random generator and keeps the state.
 */
import { sampleBeta, sampleNormal, type Rng } from './random';

export type Arm = {
  agent: string;
  model: string;
  local: boolean;
  /** Estimated USD for one call of this arm on this task. */
  costUsd: number;
  /** Catalogue prior: expected success before any record (0–1). */
  priorSuccess: number;
  /** Catalogue prior: expected quality on success (0–1). */
  priorQuality: number;
  /** In-flight calls over the model's concurrency, 0–1; an arm at 1 or more is full. */
  load?: number;
};

export type ArmStats = {
  successes: number;
  failures: number;
  qualitySum: number;
  qualityWeight: number;
  /** The arm's last few outcomes, fast-forgotten: the change detector's window. */
  recentSuccesses?: number;
  recentFailures?: number;
};
export type BanditState = Record<string, Record<string, ArmStats>>;

export type BanditOptions = {
  /** USD a unit of reward is worth: reward = success × quality − costWeight × cost. */
  costWeight: number;
  /** Pseudo-observations the catalogue prior counts for. */
  priorStrength: number;
  /** Per-observation forgetting in a context, 1 keeps everything. */
  discount: number;
  /** false: choose by posterior means only. */
  explore: boolean;
  /** Most share of a context's choices that may differ from the greedy one. */
  maxExplorationShare: number;
  /** Reward multiplier lost per unit of load (0.5 halves a fully loaded arm's reward). */
  loadPenalty: number;
  /** Spread of one quality observation, for sampling the quality mean. */
  qualitySpread: number;
  /**
   * A change detector: when an arm's recent success rate (its last few outcomes) falls this far below
   * its long-run rate, the arm forgets the long run and starts from the recent outcomes. 1 disables it.
   */
  changeDrop: number;
  /**
   * Success first, for "as successful, for less": reward decides only among the arms whose success is
   * not credibly more than this below the most successful arm's, so a cheaper arm is kept only while it
   * may be as good. The greedy choice tests the posteriors, Thompson sampling the sampled chances (it
   * explores only arms that may be the most successful). Infinity lets reward alone decide.
   */
  successTolerance: number;
  /** How sure "credibly" is, as a one-sided normal quantile of the difference (1.645: 95%). */
  successConfidence: number;
  /**
   * Pseudo-records behind a context's effect on the catalogue prior: the prior of every arm moves by
   * how far the other arms' records in the context fall short of (or beat) their own priors. 0: off.
   */
  contextPriorStrength: number;
};

export const DefaultBanditOptions: BanditOptions = {
  costWeight: 5,
  priorStrength: 4,
  discount: 0.99,
  explore: true,
  maxExplorationShare: 0.05,
  loadPenalty: 0.5,
  qualitySpread: 0.2,
  changeDrop: 0.3,
  successTolerance: 0.02,
  successConfidence: 1.645,
  contextPriorStrength: 4,
};

export type ArmEstimate = {
  arm: string;
  agent: string;
  model: string;
  successMean: number;
  qualityMean: number;
  costUsd: number;
  expectedReward: number;
  sampledReward?: number;
  observations: number;
  excluded?: string;
};

export type Choice = {
  arm: string;
  agent: string;
  model: string;
  explored: boolean;
  reason: string;
  alternatives: ArmEstimate[];
};

export const armId = (arm: Pick<Arm, 'agent' | 'model'>) => `${arm.agent}@${arm.model}`;

export class NoArmFitsError extends Error {
  override name = 'NoArmFitsError';
}

/** The change detector's window: outcomes weigh 0.8 per newer one (about the last five count). */
const RECENT_DISCOUNT = 0.8;
const RECENT_MINIMUM = 3;

type Candidate = {
  arm: Arm;
  mean: number;
  sample: number;
  theta: number;
  successMean: number;
  successSd: number;
  est: ArmEstimate;
};

const round = (x: number, digits = 3) => Number(x.toFixed(digits));

export class ThompsonBandit {
  readonly options: BanditOptions;
  private readonly choices: Record<string, { total: number; explored: number }> = {};

  constructor(
    readonly state: BanditState = {},
    options: Partial<BanditOptions> = {},
  ) {
    this.options = { ...DefaultBanditOptions, ...options };
  }

  private stats(context: string, id: string): ArmStats {
    return this.state[context]?.[id] ?? { successes: 0, failures: 0, qualitySum: 0, qualityWeight: 0 };
  }

  /**
   * Posterior means of success and quality for an arm in a context; `offered` (the arms of the same
   * choice) lets the context's effect move the arm's prior.
   */
  estimate(
    context: string,
    arm: Arm,
    offered: readonly Arm[] = [],
  ): { successMean: number; qualityMean: number; qualitySd: number; alpha: number; beta: number; n: number } {
    const s = this.stats(context, armId(arm));
    const k = this.options.priorStrength;
    const prior = Math.min(
      0.99,
      Math.max(0.01, arm.priorSuccess + this.contextEffect(context, arm, offered)),
    );
    const alpha = k * prior + s.successes + 1e-3;
    const beta = k * (1 - prior) + s.failures + 1e-3;
    const qualityMean = (k * arm.priorQuality + s.qualitySum) / (k + s.qualityWeight);
    const qualitySd = this.options.qualitySpread / Math.sqrt(k + s.qualityWeight);
    return {
      successMean: alpha / (alpha + beta),
      qualityMean,
      qualitySd,
      alpha,
      beta,
      n: s.successes + s.failures,
    };
  }

  /**
   * The context's effect on the catalogue prior: how far the other offered arms' records in the
   * context fall short of (or beat) their own priors, per record, shrunk toward none. A context the
   * catalogue does not know is hard (large inputs, say) lowers the prior of every arm not yet tried there.
   */
  private contextEffect(context: string, arm: Arm, offered: readonly Arm[]): number {
    const strength = this.options.contextPriorStrength;
    if (strength <= 0) return 0;
    const own = armId(arm);
    let shortfall = 0;
    let weight = 0;
    for (const other of offered) {
      const id = armId(other);
      const s = this.state[context]?.[id];
      if (id === own || !s) continue;
      shortfall += s.successes - (s.successes + s.failures) * other.priorSuccess;
      weight += s.successes + s.failures;
    }
    return weight > 0 ? shortfall / (weight + strength) : 0;
  }

  private reward(success: number, quality: number, arm: Arm): number {
    const loadFactor = 1 - this.options.loadPenalty * Math.min(1, Math.max(0, arm.load ?? 0));
    return success * quality * loadFactor - this.options.costWeight * arm.costUsd;
  }

  /** Chooses an arm for a context; `remainingBudgetUsd` excludes arms that would overspend. */
  choose(
    context: string,
    arms: readonly Arm[],
    rng: Rng,
    remainingBudgetUsd = Number.POSITIVE_INFINITY,
  ): Choice {
    const alternatives: ArmEstimate[] = [];
    const eligible: Candidate[] = [];
    for (const arm of arms) {
      const e = this.estimate(context, arm, arms);
      const est: ArmEstimate = {
        arm: armId(arm),
        agent: arm.agent,
        model: arm.model,
        successMean: round(e.successMean),
        qualityMean: round(e.qualityMean),
        costUsd: arm.costUsd,
        expectedReward: round(this.reward(e.successMean, e.qualityMean, arm)),
        observations: round(e.n, 1),
      };
      alternatives.push(est);
      if (arm.costUsd > remainingBudgetUsd) {
        est.excluded = `estimated $${arm.costUsd.toFixed(4)} exceeds the remaining budget $${remainingBudgetUsd.toFixed(4)}`;
        continue;
      }
      if ((arm.load ?? 0) >= 1) {
        est.excluded = `model ${arm.model} is at its concurrency limit`;
        continue;
      }
      const mean = this.reward(e.successMean, e.qualityMean, arm);
      const sampledQuality = Math.min(1, Math.max(0, e.qualityMean + e.qualitySd * sampleNormal(rng)));
      const theta = this.options.explore ? sampleBeta(rng, e.alpha, e.beta) : e.successMean;
      const sample = this.options.explore ? this.reward(theta, sampledQuality, arm) : mean;
      est.sampledReward = round(sample);
      const sd = Math.sqrt((e.alpha * e.beta) / ((e.alpha + e.beta) ** 2 * (e.alpha + e.beta + 1)));
      eligible.push({ arm, mean, sample, theta, successMean: e.successMean, successSd: sd, est });
    }
    if (eligible.length === 0) {
      throw new NoArmFitsError(
        `no agent and model fits context ${context}: ${alternatives.map((a) => `${a.arm} (${a.excluded})`).join('; ')}`,
      );
    }
    const byMean = (pool: Candidate[]) =>
      [...pool].sort((a, b) => b.mean - a.mean || a.est.arm.localeCompare(b.est.arm))[0]!;
    const { pool, best } = this.notCrediblyLessSuccessful(eligible);
    const greedy = byMean(pool);
    const rewardBest = byMean(eligible);
    const sampled = this.options.explore
      ? [...this.maybeMostSuccessful(eligible)].sort(
          (a, b) => b.sample - a.sample || a.est.arm.localeCompare(b.est.arm),
        )[0]!
      : greedy;
    const counts = (this.choices[context] ??= { total: 0, explored: 0 });
    let pick = sampled;
    let explored = pick !== greedy;
    let capped = false;
    if (explored && counts.explored + 1 > this.options.maxExplorationShare * (counts.total + 1)) {
      pick = greedy;
      explored = false;
      capped = true;
    }
    counts.total += 1;
    if (explored) counts.explored += 1;
    const e = pick.est;
    const successFirst =
      rewardBest === greedy
        ? ''
        : `; success first: ${rewardBest.est.arm} (expected reward ${rewardBest.est.expectedReward}) left out, its success ${rewardBest.est.successMean} is credibly below ${best.est.successMean} of ${best.est.arm}`;
    const why = explored
      ? `explored: its sampled reward ${e.sampledReward} beat the best mean ${round(greedy.mean)} of ${greedy.est.arm}`
      : `highest expected reward ${e.expectedReward} (success ${e.successMean}, quality ${e.qualityMean}, $${e.costUsd.toFixed(4)}, ${e.observations} records)${capped ? '; exploration cap reached' : ''}${successFirst}`;
    return {
      arm: e.arm,
      agent: pick.arm.agent,
      model: pick.arm.model,
      explored,
      reason: `${e.arm}: ${why}`,
      alternatives,
    };
  }

  /** The greedy choice's candidates: the most successful arm by posterior mean and every arm not credibly below it. */
  private notCrediblyLessSuccessful(eligible: Candidate[]): { pool: Candidate[]; best: Candidate } {
    const { successTolerance: tolerance, successConfidence: z } = this.options;
    const best = eligible.reduce((b, c) => (c.successMean > b.successMean ? c : b));
    if (!Number.isFinite(tolerance)) return { pool: eligible, best };
    const pool = eligible.filter(
      (c) => best.successMean - tolerance - c.successMean <= z * Math.hypot(c.successSd, best.successSd),
    );
    return { pool, best };
  }

  /** Thompson sampling's candidates: the arms whose sampled chance is within the tolerance of the highest. */
  private maybeMostSuccessful(eligible: Candidate[]): Candidate[] {
    const tolerance = this.options.successTolerance;
    if (!Number.isFinite(tolerance)) return eligible;
    const highest = Math.max(...eligible.map((c) => c.theta));
    return eligible.filter((c) => c.theta >= highest - tolerance);
  }

  /**
   * Counts a choice made earlier in a context (by another bandit, say, rebuilt from the records), so
   * the exploration cap bounds the share of all choices there, not only of this instance's.
   */
  noteChoice(context: string, explored: boolean): void {
    const counts = (this.choices[context] ??= { total: 0, explored: 0 });
    counts.total += 1;
    if (explored) counts.explored += 1;
  }

  /** Records an outcome: success and, on success, the score's quality (0–1). */
  update(
    context: string,
    arm: Pick<Arm, 'agent' | 'model'>,
    outcome: { success: boolean; quality?: number },
  ): void {
    const ctx = (this.state[context] ??= {});
    const d = this.options.discount;
    for (const s of Object.values(ctx)) {
      s.successes *= d;
      s.failures *= d;
      s.qualitySum *= d;
      s.qualityWeight *= d;
    }
    const s = (ctx[armId(arm)] ??= { successes: 0, failures: 0, qualitySum: 0, qualityWeight: 0 });
    const fast = RECENT_DISCOUNT;
    s.recentSuccesses = (s.recentSuccesses ?? 0) * fast + (outcome.success ? 1 : 0);
    s.recentFailures = (s.recentFailures ?? 0) * fast + (outcome.success ? 0 : 1);
    const recent = s.recentSuccesses + s.recentFailures;
    const longRun = s.successes + s.failures;
    if (
      recent >= RECENT_MINIMUM &&
      longRun > 2 * recent &&
      s.successes / longRun - s.recentSuccesses / recent >= this.options.changeDrop
    ) {
      const keep = recent / longRun;
      s.successes *= keep;
      s.failures *= keep;
      s.qualitySum *= keep;
      s.qualityWeight *= keep;
    }
    if (outcome.success) {
      s.successes += 1;
      if (outcome.quality !== undefined) {
        s.qualitySum += outcome.quality;
        s.qualityWeight += 1;
      }
    } else {
      s.failures += 1;
    }
  }
}
