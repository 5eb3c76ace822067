import { describe, expect, it } from 'vitest';
import { summarise } from './agent-status';

describe('summarise', () => {
  it('reports an agent with current steps as busy, with its success rate, latency and cost', () => {
    const summary = summarise({
      current: [{ runId: 'r', stepId: 's', since: '2026-01-01T00:00:00.000Z' }],
      recent: [
        { ok: true, latencyMs: 100, costUsd: 0.02 },
        { ok: false, latencyMs: 300, costUsd: 0 },
      ],
    });
    expect(summary).toMatchObject({
      state: 'busy',
      finished: 2,
      successRate: 0.5,
      avgLatencyMs: 200,
      avgCostUsd: 0.01,
    });
  });

  it('reports an agent that never ran as idle with no rates', () => {
    expect(summarise({ current: [], recent: [] })).toEqual({
      state: 'idle',
      current: [],
      finished: 0,
      successRate: undefined,
      avgLatencyMs: undefined,
      avgCostUsd: undefined,
    });
  });
});
