import { describe, expect, it } from 'vitest';
import type { LedgerEntry } from '../models/cost-ledger';
import { stepDurations } from './analytics-routes';

const call = (runId: string, stepId: string, ts: string, latencyMs: number, agent?: string): LedgerEntry => ({
  ts,
  runId,
  stepId,
  ...(agent && { agent }),
  modelId: 'm',
  provider: 'p',
  inputTokens: 1,
  outputTokens: 1,
  costUsd: 0,
  latencyMs,
  outcome: 'ok',
});

describe('stepDurations', () => {
  it('spans a step from its first call start to its last call end, per agent', () => {
    const rows = stepDurations([
      call('r1', 'a', '2026-01-01T00:00:00.000Z', 100, 'coder'),
      call('r1', 'a', '2026-01-01T00:00:01.000Z', 500, 'coder'),
      call('r2', 'a', '2026-01-01T00:00:00.000Z', 300, 'coder'),
      call('r1', 'b', '2026-01-01T00:00:00.000Z', 40),
    ]);
    expect(rows).toEqual([
      { agent: '(model step)', steps: 1, p50Ms: 40, p95Ms: 40 },
      { agent: 'coder', steps: 2, p50Ms: 300, p95Ms: 1_500 },
    ]);
  });

  it('puts p50 at or below p95 whatever the durations', () => {
    const entries = Array.from({ length: 40 }, (_, index) =>
      call(`r${index}`, 's', '2026-01-01T00:00:00.000Z', (index * 7919) % 1000, 'coder'),
    );
    const [row] = stepDurations(entries);
    expect(row?.steps).toBe(40);
    expect(row!.p50Ms).toBeLessThanOrEqual(row!.p95Ms);
    expect(row!.p95Ms).toBeLessThanOrEqual(999);
  });
});
