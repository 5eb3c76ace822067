import { describe, expect, it } from 'vitest';
import { Spec } from '../engine/spec';
import type { OutcomeRecord } from './outcome-record';
import { forecastRun, predictorFrom } from './run-forecast';

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

  it('says nothing is known with no records: an even chance per step', () => {
    const forecast = forecastRun(predictorFrom([]), 0, spec);
    expect(forecast.success).toBeCloseTo(0.25, 10);
    expect(forecast.records).toBe(0);
    expect(forecast.confidence).toBe('low');
  });
});
