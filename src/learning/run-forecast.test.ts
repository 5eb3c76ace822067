import { describe, expect, it } from 'vitest';
import { Spec } from '../engine/spec';
import type { OutcomeRecord } from './outcome-record';
import { forecastRun, predictorFrom, stepKey } from './run-forecast';

const spec = Spec.parse({
  name: 'fix',
  steps: [
    { id: 'build', kind: 'tool', tool: 'noop' },
    { id: 'fix', kind: 'agent', agent: 'debugger', dependsOn: ['build'], with: { task: 'fix it' } },
  ],
});

function record(
  runId: string,
  stepId: string,
  success: boolean,
  extra: Partial<OutcomeRecord> = {},
): OutcomeRecord {
  return {
    runId,
    specName: 'fix',
    stepId,
    inputTokens: 0,
    outputTokens: 0,
    costUsd: 0.01,
    durationMs: 1000,
    attempts: 1,
    success,
    score: success ? 100 : 0,
    grade: success ? 'EXCELLENT' : 'POOR',
    features: {
      stepKind: stepId === 'fix' ? 'agent' : 'tool',
      capabilities: [],
      inputTokens: 0,
      specName: 'fix',
    },
    endedAt: '2026-12-01T00:00:00.000Z',
    ...(stepId === 'fix' && { agent: 'debugger' }),
    ...extra,
  };
}

describe('forecastRun', () => {
  it('names the step that usually fails as the risk, from the same step of earlier runs', () => {
    const records = Array.from({ length: 10 }, (_, i) => [
      record(`r${i}`, 'build', true),
      record(`r${i}`, 'fix', i < 2),
    ]).flat();
    const forecast = forecastRun(predictorFrom(records), records.length, spec);
    expect(forecast.success).toBeLessThan(0.5);
    expect(forecast.riskStep).toBe('fix');
    expect(forecast.confidence).toBe('medium');
    expect(forecast.costUsd).toBeCloseTo(0.02, 10);
    expect(forecast.durationMs).toBe(2000);
    expect(forecast.records).toBe(20);
    expect(forecast.explanation).toMatch(/fix \d+% \(10 records\)/);
  });

  it('forecasts a spec never run before from its agents elsewhere, with low confidence', () => {
    const other = Array.from({ length: 10 }, (_, i) =>
      record(`o${i}`, 'repair', true, { specName: 'other', agent: 'debugger' }),
    );
    const forecast = forecastRun(predictorFrom(other), other.length, spec);
    expect(forecast.confidence).toBe('low');
    expect(forecast.success).toBeGreaterThan(0.5);
    expect(forecast.riskStep).toBeUndefined();
  });

  it('is made again as the run goes: ended steps count as they ended, spend and time so far are added', () => {
    const records = Array.from({ length: 10 }, (_, i) => [
      record(`r${i}`, 'build', i < 5),
      record(`r${i}`, 'fix', i < 8),
    ]).flat();
    const predictor = predictorFrom(records);
    const before = forecastRun(predictor, records.length, spec);
    const built = forecastRun(predictor, records.length, spec, {
      steps: [
        { id: 'build', status: 'completed' },
        { id: 'fix', status: 'running' },
      ],
      spentUsd: 0.5,
      elapsedMs: 4000,
    });
    expect(built.success).toBeGreaterThan(before.success);
    expect(built.success).toBeCloseTo(
      before.success / predictor.predictStep('build', stepKey('fix', 'build', 'tool')).success,
      10,
    );
    expect(built.costUsd).toBeCloseTo(0.5 + 0.01, 10);
    expect(built.durationMs).toBe(4000 + 1000);
    expect(built.progress).toEqual({ stepsEnded: 1, spentUsd: 0.5, elapsedMs: 4000 });
    expect(built.explanation).toMatch(/^\d+% = product of build done × fix \d+% \(10 records\)$/);

    const broken = forecastRun(predictor, records.length, spec, {
      steps: [
        { id: 'build', status: 'failed' },
        { id: 'fix', status: 'pending' },
      ],
      spentUsd: 0,
      elapsedMs: 1000,
    });
    expect(broken.success).toBe(0);
    expect(broken.riskStep).toBe('build');
    expect(broken.explanation).toMatch(/build failed/);

    const finished = forecastRun(predictor, records.length, spec, {
      steps: [
        { id: 'build', status: 'completed' },
        { id: 'fix', status: 'completed' },
      ],
      spentUsd: 0.02,
      elapsedMs: 2500,
    });
    expect(finished).toMatchObject({ success: 1, costUsd: 0.02, durationMs: 2500, confidence: 'high' });
    expect(finished.riskStep).toBeUndefined();
  });

  it('says nothing is known with no records: an even chance per step', () => {
    const forecast = forecastRun(predictorFrom([]), 0, spec);
    expect(forecast.success).toBeCloseTo(0.25, 10);
    expect(forecast.records).toBe(0);
    expect(forecast.confidence).toBe('low');
  });
});
