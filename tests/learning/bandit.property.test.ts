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
});
