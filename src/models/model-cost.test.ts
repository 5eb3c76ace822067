import { describe, expect, it } from 'vitest';
import { checkBudgets, costUsd, estimateCallCostUsd, estimateTokens, usd } from './model-cost';

describe('model cost', () => {
  it('estimates a token per four characters, rounding up', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens('abcde')).toBe(2);
  });

  it('prices tokens per million and bounds a call by its maximum output', () => {
    const pricing = { inputPerMillion: 2.5, outputPerMillion: 10 };
    expect(costUsd(pricing, { inputTokens: 1_000_000, outputTokens: 500_000 })).toBeCloseTo(7.5);
    expect(estimateCallCostUsd(pricing, 1000, 1000)).toBeCloseTo(0.0125);
  });

  it('refuses a call that would take the run over its budget, naming spent, estimate and limit', () => {
    const verdict = checkBudgets({
      estimateUsd: 0.02,
      modelId: 'gpt-4o',
      runId: 'r1',
      run: { limitUsd: 0.05, spentUsd: 0.04 },
    });
    expect(verdict).toMatchObject({ ok: false, scope: 'run', limitUsd: 0.05 });
    expect(verdict.ok || verdict.message).toBe(
      "run r1 would spend $0.06 (spent $0.04 + up to $0.02 for this call to gpt-4o) against its budget of $0.05; raise the run's budget or use a cheaper model",
    );
  });

  it('counts calls in flight against the daily budget and names where the limit is set', () => {
    const verdict = checkBudgets({
      estimateUsd: 1,
      modelId: 'm',
      runId: 'r',
      day: { limitUsd: 10, spentUsd: 8.5, date: '2025-01-02', source: 'config/models.yaml' },
      dayInFlightUsd: 1,
    });
    expect(verdict.ok || verdict.message).toMatch(
      /^model calls on 2025-01-02 \(UTC\) would spend \$10.50 \(spent \$8.50 \+ \$1.00 in flight .* daily budget of \$10.00 \(budgets.dailyUsd in config\/models.yaml\)$/,
    );
  });

  it('lets a call through when it fits every budget, and always lets free calls through', () => {
    expect(
      checkBudgets({ estimateUsd: 0.01, modelId: 'm', runId: 'r', run: { limitUsd: 1, spentUsd: 0 } }).ok,
    ).toBe(true);
    expect(
      checkBudgets({ estimateUsd: 0, modelId: 'm', runId: 'r', run: { limitUsd: 1, spentUsd: 2 } }).ok,
    ).toBe(true);
  });

  it('prints small amounts with enough digits to compare them', () => {
    expect(usd(0)).toBe('$0');
    expect(usd(0.000123)).toBe('$0.000123');
    expect(usd(12.345)).toBe('$12.35');
  });
});
