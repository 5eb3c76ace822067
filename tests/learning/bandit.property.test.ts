import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NoArmFitsError, ThompsonBandit, type Arm } from '../../src/learning/bandit';
import { seededRng } from '../../src/learning/random';

const arm = (agent: string, model: string, costUsd: number, extra: Partial<Arm> = {}): Arm => ({
  agent,
  model,
  local: costUsd === 0,
  costUsd,
  priorSuccess: 0.7,
  priorQuality: 0.7,
  ...extra,
});

const arbArms = fc.uniqueArray(
  fc.record({
    agent: fc.constantFrom('coder', 'tester', 'debugger'),
    model: fc.constantFrom('qwen', 'llama', 'mini', 'big'),
    costUsd: fc.double({ min: 0, max: 0.1, noNaN: true }),
    priorSuccess: fc.double({ min: 0, max: 1, noNaN: true }),
    priorQuality: fc.double({ min: 0, max: 1, noNaN: true }),
    load: fc.double({ min: 0, max: 1.5, noNaN: true }),
  }),
  { minLength: 1, maxLength: 10, selector: (a) => `${a.agent}@${a.model}` },
);

describe('the Thompson-sampling bandit', () => {
  it('never picks an arm over the remaining budget or at its concurrency limit, and says why each was left out', () => {
    fc.assert(
      fc.property(
        arbArms,
        fc.double({ min: 0, max: 0.1, noNaN: true }),
        fc.integer(),
        (raw, budget, seed) => {
          const arms = raw.map((r) => ({ ...r, local: r.costUsd === 0 }));
          const bandit = new ThompsonBandit();
          const fits = arms.filter((a) => a.costUsd <= budget && a.load < 1);
          if (fits.length === 0) {
            expect(() => bandit.choose('ctx', arms, seededRng(seed), budget)).toThrow(NoArmFitsError);
            return;
          }
          const choice = bandit.choose('ctx', arms, seededRng(seed), budget);
          const picked = arms.find((a) => `${a.agent}@${a.model}` === choice.arm)!;
          expect(picked.costUsd).toBeLessThanOrEqual(budget);
          expect(picked.load).toBeLessThan(1);
          expect(choice.alternatives).toHaveLength(arms.length);
          for (const alt of choice.alternatives) {
            const a = arms.find((x) => `${x.agent}@${x.model}` === alt.arm)!;
            if (a.costUsd > budget || a.load >= 1) expect(alt.excluded).toMatch(/budget|concurrency/);
          }
        },
      ),
    );
  });

  it('learns the better arm and explores no more than its bound', () => {
    const rng = seededRng(7);
    const world = seededRng(8);
    const bandit = new ThompsonBandit({}, { maxExplorationShare: 0.1 });
    const arms = [arm('coder', 'good', 0), arm('coder', 'bad', 0)];
    const truth: Record<string, number> = { 'coder@good': 0.9, 'coder@bad': 0.4 };
    let explored = 0;
    let good = 0;
    for (let i = 0; i < 400; i++) {
      const c = bandit.choose('ctx', arms, rng);
      if (c.explored) explored += 1;
      if (i >= 200 && c.arm === 'coder@good') good += 1;
      bandit.update('ctx', c, { success: world() < truth[c.arm]!, quality: 0.8 });
    }
    expect(explored).toBeLessThanOrEqual(0.1 * 400);
    expect(good / 200).toBeGreaterThan(0.85);
  });

  it('chooses by posterior means alone when exploration is off, and records its reason', () => {
    const bandit = new ThompsonBandit({}, { explore: false });
    const arms = [
      arm('coder', 'cheap', 0, { priorSuccess: 0.8 }),
      arm('coder', 'dear', 0.05, { priorSuccess: 0.8 }),
    ];
    for (let seed = 0; seed < 20; seed++) {
      const c = bandit.choose('ctx', arms, seededRng(seed));
      expect(c).toMatchObject({ arm: 'coder@cheap', explored: false });
      expect(c.reason).toMatch(/^coder@cheap: highest expected reward .* \$0\.0000/);
    }
  });

  it('with exploration off, takes the best expected reward among the arms not credibly less successful than the most successful', () => {
    const tolerance = 0.02;
    fc.assert(
      fc.property(
        arbArms,
        fc.array(fc.tuple(fc.nat({ max: 9 }), fc.boolean(), fc.double({ min: 0, max: 1, noNaN: true })), {
          maxLength: 120,
        }),
        (raw, outcomes) => {
          const arms = raw.map((r) => ({ ...r, local: r.costUsd === 0, load: 0 }));
          const successFirst = new ThompsonBandit({}, { explore: false, successTolerance: tolerance });
          const rewardOnly = new ThompsonBandit({}, { explore: false, successTolerance: Infinity });
          for (const [i, success, quality] of outcomes) {
            const a = arms[i % arms.length]!;
            successFirst.update('ctx', a, { success, quality });
            rewardOnly.update('ctx', a, { success, quality });
          }
          const byReward = rewardOnly.choose('ctx', arms, seededRng(1));
          const top = Math.max(...byReward.alternatives.map((a) => a.expectedReward));
          expect(byReward.alternatives.find((a) => a.arm === byReward.arm)?.expectedReward).toBe(top);

          const choice = successFirst.choose('ctx', arms, seededRng(1));
          const mostSuccessful = Math.max(...choice.alternatives.map((a) => a.successMean));
          const chosen = choice.alternatives.find((a) => a.arm === choice.arm)!;
          expect(choice.explored).toBe(false);
          // Only an arm credibly below the most successful one may be passed over for a lower reward.
          for (const a of choice.alternatives) {
            if (a.expectedReward > chosen.expectedReward + 1e-3) {
              expect(a.successMean).toBeLessThan(mostSuccessful - tolerance + 1e-3);
            }
          }
          if (choice.arm !== byReward.arm) expect(choice.reason).toMatch(/success first: .* credibly below/);
        },
      ),
    );
  });

  it('passes over a cheaper arm whose success is credibly lower, and keeps one that may be as good', () => {
    const cheap = arm('coder', 'cheap', 0, { priorQuality: 0.9 });
    const dear = arm('coder', 'dear', 0.01, { priorQuality: 0.7 });
    // Outcomes spread evenly (7 is prime to 20), so the change detector sees no sudden drop.
    const learn = (cheapOf20: number) => {
      const options = { explore: false, discount: 1, costWeight: 5 };
      const bandits = [
        new ThompsonBandit({}, options),
        new ThompsonBandit({}, { ...options, successTolerance: Infinity }),
      ];
      for (const b of bandits) {
        for (let i = 0; i < 60; i++) {
          b.update('ctx', cheap, { success: (i * 7) % 20 < cheapOf20, quality: 0.9 });
          b.update('ctx', dear, { success: (i * 7) % 20 < 19, quality: 0.7 });
        }
      }
      return bandits.map((b) => b.choose('ctx', [cheap, dear], seededRng(3)));
    };
    const [credibly, byReward] = learn(14);
    expect(byReward!.arm).toBe('coder@cheap');
    expect(credibly!.arm).toBe('coder@dear');
    expect(credibly!.reason).toMatch(/success first: coder@cheap .* credibly below 0\.9\d* of coder@dear/);
    const [asGood] = learn(18);
    expect(asGood!.arm).toBe('coder@cheap');
  });

  it('explores only arms whose sampled chance may be the highest', () => {
    const bandit = new ThompsonBandit({}, { maxExplorationShare: 1, discount: 1 });
    const good = arm('coder', 'good', 0.001);
    const poor = arm('coder', 'poor', 0, { priorQuality: 1 });
    for (let i = 0; i < 100; i++) {
      bandit.update('ctx', good, { success: i % 10 !== 0, quality: 0.5 });
      bandit.update('ctx', poor, { success: i % 2 === 0, quality: 1 });
    }
    const rng = seededRng(11);
    const picks = Array.from({ length: 200 }, () => bandit.choose('ctx', [good, poor], rng).arm);
    expect(picks.filter((p) => p === 'coder@poor')).toHaveLength(0);
    const rewardOnly = new ThompsonBandit(bandit.state, {
      maxExplorationShare: 1,
      successTolerance: Infinity,
    });
    expect(rewardOnly.choose('ctx', [good, poor], seededRng(11)).arm).toBe('coder@poor');
  });

  it('starts an arm untried in a context below its prior when the arms tried there fail more than theirs', () => {
    const arms = [arm('coder', 'mini', 0.001), arm('coder', 'qwen', 0), arm('coder', 'llama', 0)];
    const bandit = new ThompsonBandit({}, { explore: false });
    const plain = new ThompsonBandit({}, { explore: false, contextPriorStrength: 0 });
    // The catalogue expects 70% of every arm; on large inputs mini succeeds 40% and qwen 30%.
    for (let i = 0; i < 20; i++) {
      for (const b of [bandit, plain]) {
        b.update('large', arms[0]!, { success: i % 5 < 2, quality: 0.8 });
        b.update('large', arms[1]!, { success: i % 10 < 3, quality: 0.8 });
      }
    }
    const llama = (b: ThompsonBandit) =>
      b.choose('large', arms, seededRng(1)).alternatives.find((a) => a.model === 'llama')!;
    expect(llama(plain).successMean).toBeCloseTo(0.7, 2);
    expect(llama(bandit).successMean).toBeLessThan(0.45);
    // Elsewhere the same arm keeps its prior.
    expect(
      bandit.choose('small', arms, seededRng(1)).alternatives.find((a) => a.model === 'llama')!.successMean,
    ).toBeCloseTo(0.7, 2);
  });
});
