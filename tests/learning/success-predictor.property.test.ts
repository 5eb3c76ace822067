import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seededRng } from '../../src/learning/random';
import { SuccessPredictor, brierScore, reliabilityTable } from '../../src/learning/success-predictor';

describe('the success predictor', () => {
  it('gives probabilities in [0, 1] and intervals around them, whatever it has seen', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            context: fc.constantFrom('a', 'b', 'c'),
            arm: fc.constantFrom('x', 'y'),
            success: fc.boolean(),
          }),
        ),
        fc.array(fc.record({ context: fc.constantFrom('a', 'b', 'd'), arm: fc.constantFrom('x', 'z') }), {
          minLength: 1,
          maxLength: 5,
        }),
        (seen, steps) => {
          const p = new SuccessPredictor();
          for (const s of seen) p.record(s, { success: s.success, costUsd: 0.01, durationMs: 100 });
          const run = p.predictRun(steps.map((s, i) => ({ id: `s${i}`, ...s })));
          expect(run.success).toBeGreaterThanOrEqual(0);
          expect(run.success).toBeLessThanOrEqual(1);
          for (const s of run.steps) {
            expect(s.low).toBeLessThanOrEqual(s.success);
            expect(s.high).toBeGreaterThanOrEqual(s.success);
          }
          if (run.success < 0.5) expect(run.riskStep).toBeDefined();
        },
      ),
    );
  });

  it('is calibrated on simulated data and beats the base rate where contexts differ', () => {
    const rng = seededRng(42);
    const truth: Record<string, number> = { a: 0.95, b: 0.6, c: 0.2 };
    const p = new SuccessPredictor();
    const pairs: Array<{ p: number; outcome: boolean }> = [];
    const base: Array<{ p: number; outcome: boolean }> = [];
    for (let i = 0; i < 3000; i++) {
      const context = ['a', 'b', 'c'][Math.floor(rng() * 3)]!;
      const outcome = rng() < truth[context]!;
      if (i >= 300) {
        pairs.push({ p: p.predictStep('s', { context, arm: 'm' }).success, outcome });
        base.push({ p: p.baseRate(), outcome });
      }
      p.record({ context, arm: 'm' }, { success: outcome, costUsd: 0, durationMs: 1 });
    }
    for (const row of reliabilityTable(pairs, 10)) {
      if (row.count >= 100) expect(Math.abs(row.meanPredicted - row.observedRate)).toBeLessThan(0.06);
    }
    expect(brierScore(pairs) / brierScore(base)).toBeLessThan(0.8);
  });

  it('multiplies step chances over the run, names the risky step, and sums cost and duration', () => {
    const p = new SuccessPredictor();
    for (let i = 0; i < 20; i++) {
      p.record({ context: 'code', arm: 'coder@qwen' }, { success: true, costUsd: 0, durationMs: 1000 });
      p.record(
        { context: 'tests', arm: 'tester@mini' },
        { success: i % 4 === 0, costUsd: 0.002, durationMs: 3000 },
      );
    }
    const run = p.predictRun([
      { id: 'write', context: 'code', arm: 'coder@qwen' },
      { id: 'test', context: 'tests', arm: 'tester@mini' },
    ]);
    expect(run.success).toBeCloseTo(run.steps[0]!.success * run.steps[1]!.success, 10);
    expect(run.riskStep).toBe('test');
    expect(run.costUsd).toBeCloseTo(0.002, 6);
    expect(run.durationMs).toBeCloseTo(4000, 6);
    expect(run.confidence).toBe('high');
    expect(run.explanation).toMatch(/the risk is step test/);
  });

  it("starts an arm it has no record of from the arm's prior, and lets the records outweigh it", () => {
    const p = new SuccessPredictor();
    for (let i = 0; i < 40; i++) {
      p.record({ context: 'code', arm: 'coder@a' }, { success: i % 2 === 0, costUsd: 0, durationMs: 1 });
    }
    const unseen = (prior?: number) =>
      p.predictStep('s', { context: 'code', arm: 'coder@b', ...(prior !== undefined && { prior }) }).success;
    expect(unseen(0.9)).toBeGreaterThan(0.8);
    expect(unseen(0.3)).toBeLessThan(0.4);
    expect(unseen()).toBeCloseTo(p.baseRate(), 1);
    for (let i = 0; i < 200; i++) {
      p.record({ context: 'code', arm: 'coder@b' }, { success: i % 10 !== 0, costUsd: 0, durationMs: 1 });
    }
    expect(Math.abs(unseen(0.3) - 0.9)).toBeLessThan(0.03);
  });

  it('starts an arm new to a context that others find hard below its rate elsewhere', () => {
    const rng = seededRng(7);
    const chance: Record<string, number> = { 'small|x': 0.9, 'small|y': 0.9, 'large|x': 0.5, 'large|y': 0.5 };
    const p = new SuccessPredictor();
    for (let i = 0; i < 400; i++) {
      for (const key of ['small|x', 'small|y', 'large|x']) {
        const [context, arm] = key.split('|') as [string, string];
        p.record({ context, arm }, { success: rng() < chance[key]!, costUsd: 0, durationMs: 1 });
      }
    }
    const y = p.predictStep('s', { context: 'large', arm: 'y' }).success;
    const plain = new SuccessPredictor({ contextStrength: 0 });
    for (let i = 0; i < 50; i++)
      plain.record({ context: 'small', arm: 'y' }, { success: i % 10 !== 0, costUsd: 0, durationMs: 1 });
    // Arm y has never run on large inputs, where arm x succeeds 40 points less than on small ones.
    expect(y).toBeLessThan(0.7);
    expect(plain.predictStep('s', { context: 'large', arm: 'y' }).success).toBeGreaterThan(0.8);
  });
});
