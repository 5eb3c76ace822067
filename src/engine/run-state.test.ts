import { describe, expect, it } from 'vitest';
import { RunState } from './run-state';
import { Spec, type SpecInput } from './spec';

const t0 = new Date('2026-01-01T00:00:00Z');
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);
const step = (id: string, dependsOn: string[] = [], extra: object = {}) => ({
  id,
  kind: 'tool' as const,
  tool: 'noop' as const,
  dependsOn,
  ...extra,
});
const spec = (input: Omit<SpecInput, 'name'>) => Spec.parse({ name: 's', ...input });
const diamond = spec({ steps: [step('a'), step('b', ['a']), step('c', ['a']), step('d', ['b', 'c'])] });
const ids = (steps: { id: string }[]) => steps.map((s) => s.id);

describe('RunState', () => {
  it('releases steps as their dependencies complete', () => {
    const run = new RunState('r', { spec: diamond, input: {}, startedAt: t0 });
    expect(ids(run.takeReady(t0))).toEqual(['a']);
    run.start('a', at(1));
    expect(run.takeReady(t0)).toEqual([]);
    run.complete('a', 'A', 1, at(2));
    expect(ids(run.takeReady(t0))).toEqual(['b', 'c']);
    run.start('b', at(2));
    run.complete('b', 'B', 1, at(3));
    expect(ids(run.takeReady(t0))).toEqual(['c']);
  });

  it('never has more steps running than maxParallel', () => {
    const wide = spec({ maxParallel: 2, steps: [step('a'), step('b'), step('c')] });
    const run = new RunState('r', { spec: wide, input: {}, startedAt: t0 });
    const first = run.takeReady(t0);
    expect(ids(first)).toEqual(['a', 'b']);
    for (const s of first) run.start(s.id, t0);
    expect(run.takeReady(t0)).toEqual([]);
    run.complete('a', 1, 1, at(1));
    expect(ids(run.takeReady(t0))).toEqual(['c']);
  });

  it('skips the steps that only a skipped step feeds, and runs those fed by another too', () => {
    const fed = spec({
      steps: [
        step('a'),
        step('b'),
        step('onlyA', ['a']),
        step('afterOnlyA', ['onlyA']),
        step('both', ['a', 'b']),
      ],
    });
    const run = new RunState('r', { spec: fed, input: {}, startedAt: t0 });
    run.skip('a', at(1));
    run.complete('b', 'B', 1, at(1));
    expect(ids(run.takeReady(at(2)))).toEqual(['both']);
    expect(run.snapshot().steps.map((s) => [s.id, s.status])).toEqual([
      ['a', 'skipped'],
      ['b', 'completed'],
      ['onlyA', 'skipped'],
      ['afterOnlyA', 'skipped'],
      ['both', 'pending'],
    ]);
  });

  it('starts nothing while paused, and picks up again on resume', () => {
    const run = new RunState('r', { spec: diamond, input: {}, startedAt: t0 });
    run.setPaused(true);
    expect(run.status).toBe('paused');
    expect(run.takeReady(t0)).toEqual([]);
    run.setPaused(false);
    expect(ids(run.takeReady(t0))).toEqual(['a']);
  });

  it('plans compensations in reverse completion order, only for completed steps that have one', () => {
    const compensated = { compensate: { kind: 'tool', tool: 'noop', with: {} } };
    const saga = spec({
      steps: [step('a', [], compensated), step('b', [], compensated), step('c'), step('d', [], compensated)],
    });
    const run = new RunState('r', { spec: saga, input: {}, startedAt: t0 });
    run.complete('b', 1, 1, at(1));
    run.complete('c', 1, 1, at(2));
    run.complete('a', 1, 1, at(3));
    run.fail('d', 'boom', 1, at(4));
    expect(ids(run.compensationPlan())).toEqual(['a', 'b']);
  });

  it('answers with the final step output when the spec names none', () => {
    const run = new RunState('r', { spec: diamond, input: {}, startedAt: t0 });
    for (const id of ['a', 'b', 'c', 'd']) run.complete(id, id.toUpperCase(), 1, at(1));
    run.finish(at(2));
    expect(run.snapshot()).toMatchObject({ status: 'completed', output: 'D', endedAt: at(2).toISOString() });
  });

  it('stops releasing steps after a failure and marks the unstarted ones skipped', () => {
    const run = new RunState('r', { spec: diamond, input: {}, startedAt: t0 });
    run.complete('a', 'A', 1, at(1));
    run.fail('b', 'boom', 3, at(2));
    expect(run.takeReady(at(2))).toEqual([]);
    run.finish(at(3));
    const snapshot = run.snapshot();
    expect(snapshot.status).toBe('failed');
    expect(snapshot.error).toBe('step "b" failed: boom');
    expect(snapshot.steps.map((s) => s.status)).toEqual(['completed', 'failed', 'skipped', 'skipped']);
  });

  it('carries its state across continue-as-new without re-running what is done', () => {
    const run = new RunState('r', { spec: diamond, input: { x: 1 }, startedAt: t0 });
    run.complete('a', 'A', 1, at(1));
    const next = new RunState('r', structuredClone(run.carry()));
    expect(ids(next.takeReady(at(2)))).toEqual(['b', 'c']);
    expect(next.expressionContext().steps).toEqual({ a: { output: 'A', status: 'completed' } });
  });

  it('fails the run when its output template cannot be built', () => {
    const run = new RunState('r', {
      spec: { ...diamond, output: '${{ input.nope }}' },
      input: {},
      startedAt: t0,
    });
    for (const id of ['a', 'b', 'c', 'd']) run.complete(id, id, 1, at(1));
    run.finish(at(2));
    expect(run.snapshot()).toMatchObject({
      status: 'failed',
      error: "the run's output could not be built: No such key: nope (in ${{ input.nope }})",
    });
  });

  describe('launchReady', () => {
    const skipjoin = (bWhen: string, aWhen?: string) =>
      spec({
        steps: [
          step('a', [], aWhen ? { when: aWhen } : {}),
          step('b', ['a'], { when: bWhen }),
          step('c', ['a', 'b']),
        ],
      });

    it('launches a step that a skip made ready in the same call, so the skipjoin spec completes', () => {
      const run = new RunState('r', { spec: skipjoin('false'), input: {}, startedAt: t0 });
      expect(ids(run.launchReady(t0))).toEqual(['a']);
      run.complete('a', 'A', 1, at(1));
      expect(ids(run.launchReady(at(1)))).toEqual(['c']);
      expect(run.stepStatus('b')).toBe('skipped');
      expect(run.stepStatus('c')).toBe('running');
      expect(run.launchReady(at(1))).toEqual([]);
    });

    it('skips a step whose parents were both skipped by their conditions', () => {
      const run = new RunState('r', { spec: skipjoin('false', 'false'), input: {}, startedAt: t0 });
      expect(run.launchReady(t0)).toEqual([]);
      expect(run.active).toBe(0);
      run.finish(at(1));
      expect(run.snapshot().steps.map((s) => [s.id, s.status])).toEqual([
        ['a', 'skipped'],
        ['b', 'skipped'],
        ['c', 'skipped'],
      ]);
      expect(run.snapshot().status).toBe('completed');
    });

    it('starts approvals whatever maxParallel, and tools only within it', () => {
      const wide = spec({
        maxParallel: 1,
        steps: [step('a'), step('b'), { id: 'gate', kind: 'approval' }],
      });
      const run = new RunState('r', { spec: wide, input: {}, startedAt: t0 });
      expect(ids(run.launchReady(t0))).toEqual(['a', 'gate']);
      expect(run.stepStatus('gate')).toBe('waiting');
      expect(run.stepStatus('b')).toBe('pending');
    });

    it('fails the step whose condition cannot be evaluated, and starts nothing more', () => {
      const run = new RunState('r', {
        spec: spec({ steps: [step('a', [], { when: 'input.missing == 1' }), step('b')] }),
        input: {},
        startedAt: t0,
      });
      expect(run.launchReady(t0)).toEqual([]);
      expect(run.stepStatus('a')).toBe('failed');
      expect(run.failsFast).toBe(true);
    });
  });
});

describe('RunState budget holds', () => {
  const budgeted = (usd: number) =>
    new RunState('r', {
      spec: Spec.parse({ name: 'b', budget: { usd }, steps: [{ id: 'a', kind: 'tool', tool: 'noop' }] }),
      input: {},
      startedAt: t0,
    });

  it('lets a call go alone whatever its estimate, and a second only if both fit', () => {
    const run = budgeted(1);
    expect(run.holdFits(5)).toBe(true);
    const first = run.hold(0.6);
    expect(run.holdFits(0.5)).toBe(false);
    expect(run.holdFits(0.4)).toBe(true);
    expect(run.heldUsd()).toBe(0.6);
    expect(run.heldUsd(first)).toBe(0);
  });

  it('settles a hold and its real cost in one step', () => {
    const run = budgeted(1);
    const first = run.hold(0.6);
    run.hold(0.3);
    run.settleHold(first, 0.1);
    expect(run.costUsd).toBe(0.1);
    expect(run.heldUsd()).toBe(0.3);
    expect(run.holdFits(0.6)).toBe(true);
    expect(run.holdFits(0.7)).toBe(false);
  });

  it('never refuses a run without a budget', () => {
    const run = new RunState('r', { spec: diamond, input: {}, startedAt: t0 });
    run.hold(1e9);
    expect(run.holdFits(1e9)).toBe(true);
  });
});
