import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CheckName, evaluate, evaluateRun, gradeFor } from '../../src/learning/evaluator';

const order = { POOR: 0, FAIR: 1, GOOD: 2, EXCELLENT: 3 } as const;

describe('the evaluator', () => {
  it('grades EXCELLENT at 90, GOOD at 75, FAIR at 50 and POOR below', () => {
    expect([100, 90, 89.9, 75, 74.9, 50, 49.9, 0].map(gradeFor)).toEqual([
      'EXCELLENT',
      'EXCELLENT',
      'GOOD',
      'GOOD',
      'FAIR',
      'FAIR',
      'POOR',
      'POOR',
    ]);
  });

  it('never gives a lower score a better grade', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        (a, b) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          expect(order[gradeFor(lo)]).toBeLessThanOrEqual(order[gradeFor(hi)]);
        },
      ),
    );
  });

  it('scores between 0 and 100, and passing one more check never lowers the score', () => {
    const names = Object.values(CheckName);
    fc.assert(
      fc.property(
        fc.array(fc.record({ name: fc.constantFrom(...names), passed: fc.boolean() }), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.dictionary(fc.constantFrom(...names), fc.double({ min: 0.1, max: 10, noNaN: true })),
        fc.nat(),
        (checks, weights, pick) => {
          const before = evaluate({ checks, weights });
          expect(before.score).toBeGreaterThanOrEqual(0);
          expect(before.score).toBeLessThanOrEqual(100);
          const i = pick % checks.length;
          const improved = checks.map((c, n) => (n === i ? { ...c, passed: true } : c));
          expect(evaluate({ checks: improved, weights }).score).toBeGreaterThanOrEqual(before.score);
        },
      ),
    );
  });

  it('weights checks per agent and blends in a judge with its reasons', () => {
    const checks = [
      { name: CheckName.TestsPassed, passed: true },
      { name: CheckName.SchemaValid, passed: false },
    ];
    expect(evaluate({ checks, weights: { testsPassed: 3, schemaValid: 1 } }).score).toBe(75);
    expect(evaluate({ checks, weights: { testsPassed: 1, schemaValid: 3 } }).score).toBe(25);
    const judged = evaluate({
      checks,
      weights: { testsPassed: 3, schemaValid: 1 },
      judge: { judge: 'reviewer', score: 100, reasons: ['clear diff'] },
      judgeWeight: 0.5,
    });
    expect(judged.score).toBe(87.5);
    expect(judged.grade).toBe('GOOD');
    expect(judged.judge?.reasons).toEqual(['clear diff']);
    expect(judged.explanation).toContain('judge reviewer 100');
  });

  it('scores a run as the weighted mean of its steps', () => {
    expect(evaluateRun([{ score: 100 }, { score: 50, weight: 3 }])).toEqual({ score: 62.5, grade: 'FAIR' });
  });
});
