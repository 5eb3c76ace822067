import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { byAgent, byModel, percentile, type PerformanceEvidence } from './performance';

const days = ['2026-03-01', '2026-03-02', '2026-03-03'];
const isLocal = (model: string) => model.startsWith('qwen');

const step = (over: Partial<PerformanceEvidence> = {}): PerformanceEvidence => ({
  agent: 'coder',
  model: 'qwen2.5-coder:7b',
  success: true,
  score: 100,
  costUsd: 0,
  durationMs: 1000,
  endedAt: '2026-03-02T10:00:00.000Z',
  ...over,
});

const arbRecord = fc.record({
  agent: fc.option(fc.constantFrom('coder', 'tester', 'debugger'), { nil: undefined }),
  model: fc.option(fc.constantFrom('qwen2.5-coder:7b', 'gpt-4o-mini', 'llama3.2:3b'), { nil: undefined }),
  success: fc.boolean(),
  score: fc.integer({ min: 0, max: 100 }),
  costUsd: fc.double({ min: 0, max: 1, noNaN: true }),
  durationMs: fc.integer({ min: 0, max: 600_000 }),
  // Some fall outside the range (Feb 28 and Mar 4).
  endedAt: fc
    .integer({ min: Date.parse('2026-02-28T00:00:00Z'), max: Date.parse('2026-03-04T23:59:59Z') })
    .map((ms) => new Date(ms).toISOString()),
});

describe('per-agent and per-model performance', () => {
  it('states success rate, mean score, p50/p95, cost per success and local share of one agent', () => {
    const [row] = byAgent(
      [
        step({ durationMs: 100 }),
        step({ durationMs: 300, model: 'gpt-4o-mini', costUsd: 0.02 }),
        step({ durationMs: 200, success: false, score: 0, costUsd: 0.01, model: 'gpt-4o-mini' }),
        step({ durationMs: 5000, score: 80, endedAt: '2026-03-03T01:00:00.000Z' }),
      ],
      { days, isLocal },
    );
    expect(row).toMatchObject({
      id: 'coder',
      steps: 4,
      successes: 3,
      successRate: 0.75,
      meanScore: 70,
      p50Ms: 200,
      p95Ms: 5000,
      modelSteps: 4,
      localSteps: 2,
      localShare: 0.5,
    });
    expect(row!.costUsd).toBeCloseTo(0.03);
    expect(row!.costPerSuccess).toBeCloseTo(0.01);
    expect(row!.byDay.map((d) => d.steps)).toEqual([0, 3, 1]);
    expect(row!.byDay[0]).toEqual({ day: '2026-03-01', steps: 0, successes: 0, costUsd: 0 });
    expect(row!.byDay[1]).toMatchObject({ successRate: 2 / 3, p95Ms: 300 });
  });

  it('leaves cost per success out when nothing succeeded, and local share out without models', () => {
    const [row] = byAgent([step({ success: false, score: 0, costUsd: 0.5, model: undefined })], {
      days,
      isLocal,
    });
    expect(row!.costPerSuccess).toBeUndefined();
    expect(row!.localShare).toBeUndefined();
    expect(row!.successRate).toBe(0);
  });

  it('groups by model and leaves steps without a model out', () => {
    const rows = byModel([step(), step({ model: undefined }), step({ model: 'gpt-4o-mini' })], {
      days,
      isLocal,
    });
    expect(rows.map((r) => [r.id, r.steps, r.localShare])).toEqual([
      ['gpt-4o-mini', 1, 0],
      ['qwen2.5-coder:7b', 1, 1],
    ]);
  });

  it('keeps p50 ≤ p95, every share in [0, 1], and totals that add up, whatever the records', () => {
    fc.assert(
      fc.property(fc.array(arbRecord, { maxLength: 80 }), (records) => {
        for (const view of [byAgent, byModel]) {
          const rows = view(records, { days, isLocal });
          const keyed = records.filter(
            (r) =>
              (view === byAgent ? r.agent : r.model) !== undefined && days.includes(r.endedAt.slice(0, 10)),
          );
          expect(rows.reduce((n, r) => n + r.steps, 0)).toBe(keyed.length);
          for (const row of rows) {
            expect(row.p50Ms).toBeLessThanOrEqual(row.p95Ms);
            expect(row.successRate).toBeGreaterThanOrEqual(0);
            expect(row.successRate).toBeLessThanOrEqual(1);
            if (row.localShare !== undefined) {
              expect(row.localShare).toBeGreaterThanOrEqual(0);
              expect(row.localShare).toBeLessThanOrEqual(1);
            }
            expect(row.meanScore).toBeGreaterThanOrEqual(0);
            expect(row.meanScore).toBeLessThanOrEqual(100);
            expect(row.byDay.map((d) => d.day)).toEqual(days);
            expect(row.byDay.reduce((n, d) => n + d.steps, 0)).toBe(row.steps);
            expect(row.byDay.reduce((n, d) => n + d.successes, 0)).toBe(row.successes);
            expect(row.byDay.reduce((n, d) => n + d.costUsd, 0)).toBeCloseTo(row.costUsd, 9);
            if (row.costPerSuccess !== undefined)
              expect(row.costPerSuccess * row.successes).toBeCloseTo(row.costUsd, 9);
            else expect(row.successes).toBe(0);
          }
        }
      }),
    );
  });

  it('takes the nearest-rank percentile, inside the values', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer(), { minLength: 1 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (xs, q) => {
          const sorted = [...xs].sort((a, b) => a - b);
          const p = percentile(sorted, q);
          expect(sorted).toContain(p);
          expect(percentile(sorted, 0.5)).toBeLessThanOrEqual(percentile(sorted, 0.95));
        },
      ),
    );
    expect(percentile([], 0.5)).toBe(0);
  });
});
