import { describe, expect, it } from 'vitest';
import { RunState } from './run-state';
import type { Spec } from './spec';

const t0 = new Date('2026-01-01T00:00:00Z');
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);
const step = (id: string, dependsOn: string[] = []) =>
  ({ id, kind: 'tool', tool: 'shell', dependsOn, with: { run: 'true' } }) as const;
const diamond: Spec = {
  name: 'd',
  steps: [step('a'), step('b', ['a']), step('c', ['a']), step('d', ['b', 'c'])],
};

describe('RunState', () => {
  it('releases steps as their dependencies complete', () => {
    const run = new RunState('r', diamond, {}, t0);
    expect(run.readySteps().map((s) => s.id)).toEqual(['a']);
    run.start('a', at(1));
    expect(run.readySteps()).toEqual([]);
    run.complete('a', 'A', 1, at(2));
    expect(run.readySteps().map((s) => s.id)).toEqual(['b', 'c']);
    run.start('b', at(2));
    run.complete('b', 'B', 1, at(3));
    expect(run.readySteps().map((s) => s.id)).toEqual(['c']);
  });

  it('answers with the final step output when the spec names none', () => {
    const run = new RunState('r', diamond, {}, t0);
    for (const id of ['a', 'b', 'c', 'd']) run.complete(id, id.toUpperCase(), 1, at(1));
    run.finish(at(2));
    expect(run.snapshot()).toMatchObject({ status: 'completed', output: 'D', endedAt: at(2).toISOString() });
  });

  it('stops releasing steps after a failure and marks the unstarted ones skipped', () => {
    const run = new RunState('r', diamond, {}, t0);
    run.complete('a', 'A', 1, at(1));
    run.fail('b', 'boom', 3, at(2));
    expect(run.readySteps()).toEqual([]);
    run.finish(at(3));
    const snapshot = run.snapshot();
    expect(snapshot.status).toBe('failed');
    expect(snapshot.error).toBe('step "b" failed: boom');
    expect(snapshot.steps.map((s) => s.status)).toEqual(['completed', 'failed', 'skipped', 'skipped']);
  });

  it('fails the run when its output template cannot be built', () => {
    const run = new RunState('r', { ...diamond, output: '${{ input.nope }}' }, {}, t0);
    for (const id of ['a', 'b', 'c', 'd']) run.complete(id, id, 1, at(1));
    run.finish(at(2));
    expect(run.snapshot()).toMatchObject({
      status: 'failed',
      error: "the run's output could not be built: input.nope is not set (in ${{ input.nope }})",
    });
  });
});
