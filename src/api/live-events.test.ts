import { describe, expect, it } from 'vitest';
import type { RunSnapshot } from '../engine/run-snapshot';
import { diffRun } from './live-events';

const run = (
  version: number,
  steps: RunSnapshot['steps'],
  status: RunSnapshot['status'] = 'running',
): RunSnapshot =>
  // Only the fields diffRun compares; the rest of a snapshot rides along untouched.
  ({
    runId: 'r-1',
    version,
    name: 'r',
    status,
    startedAt: '2026-01-01T00:00:00.000Z',
    steps,
    compensations: [],
  }) as Partial<RunSnapshot> as RunSnapshot;

describe('diffRun', () => {
  it('carries only the steps that changed, whole, and the versions it spans', () => {
    const before = run(3, [
      { id: 'a', status: 'completed', kind: 'tool' },
      { id: 'b', status: 'running', kind: 'tool' },
    ]);
    const after = run(5, [
      { id: 'a', status: 'completed', kind: 'tool' },
      { id: 'b', status: 'completed', kind: 'tool', output: 'x' },
      { id: 'c', status: 'pending', kind: 'wait' },
    ]);
    const delta = diffRun(before, after);
    expect(delta.from).toBe(3);
    expect(delta.version).toBe(5);
    expect(delta.steps.map((step) => step.id)).toEqual(['b', 'c']);
    expect(delta.steps[0]).toEqual({ id: 'b', status: 'completed', kind: 'tool', output: 'x' });
    expect(delta.compensations).toBeUndefined();
  });

  it('includes the compensations and the run status when they change', () => {
    const delta = diffRun(run(1, []), {
      ...run(2, [], 'failed'),
      compensations: [{ stepId: 'a', status: 'completed', startedAt: '2026-01-01T00:00:01.000Z' }],
    });
    expect(delta.run.status).toBe('failed');
    expect(delta.compensations).toHaveLength(1);
  });
});
