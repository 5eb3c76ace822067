import { describe, expect, it } from 'vitest';
import { SharedContext } from './shared-context';

const at = '2026-01-01T00:00:00.000Z';

describe('SharedContext', () => {
  it('versions every write and records who wrote what', () => {
    const context = new SharedContext();
    context.write('plan', { goal: 'ship', owner: 'a' }, 0, 'last-writer', at);
    expect(context.currentVersion).toBe(2);
    expect(context.read()).toEqual({ goal: 'ship', owner: 'a' });
    expect(context.snapshot().writes.map((write) => [write.stepId, write.key, write.version])).toEqual([
      ['plan', 'goal', 1],
      ['plan', 'owner', 2],
    ]);
  });

  it('lets a step that started after a write overwrite it without a conflict', () => {
    const context = new SharedContext();
    context.write('a', { notes: 'first' }, 0, 'last-writer', at);
    context.write('b', { notes: 'second' }, 1, 'last-writer', at);
    expect(context.read()).toEqual({ notes: 'second' });
    expect(context.snapshot().conflicts).toEqual([]);
  });

  it('detects parallel writes and lets the later writer win under last-writer', () => {
    const context = new SharedContext();
    context.write('a', { notes: 'from a' }, 0, 'last-writer', at);
    context.write('b', { notes: 'from b' }, 0, 'last-writer', at);
    expect(context.read()).toEqual({ notes: 'from b' });
    expect(context.snapshot().conflicts).toEqual([
      { key: 'notes', steps: ['a', 'b'], policy: 'last-writer', resolution: '"b" wrote last and won' },
    ]);
  });

  it('merges parallel writes of objects and lists under merge, and falls back to the later writer otherwise', () => {
    const context = new SharedContext();
    context.write('a', { files: ['x.ts'], owners: { x: 'a' }, title: 'A' }, 0, 'merge', at);
    context.write('b', { files: ['y.ts'], owners: { y: 'b' }, title: 'B' }, 0, 'merge', at);
    expect(context.read()).toEqual({ files: ['x.ts', 'y.ts'], owners: { x: 'a', y: 'b' }, title: 'B' });
    expect(context.snapshot().conflicts.map((conflict) => [conflict.key, conflict.resolution])).toEqual([
      ['files', 'the values were merged'],
      ['owners', 'the values were merged'],
      ['title', '"b" wrote last and won'],
    ]);
  });

  it('survives continue-as-new through its snapshot', () => {
    const context = new SharedContext();
    context.write('a', { k: 1 }, 0, 'last-writer', at);
    const next = SharedContext.from(structuredClone(context.snapshot()));
    expect(next.currentVersion).toBe(1);
    expect(next.read()).toEqual({ k: 1 });
  });

  it('hands parallel writes to the reviewer under reviewer, and puts the earlier value back on reject', () => {
    const context = new SharedContext();
    context.write('a', { plan: 'A' }, 0, 'reviewer', at);
    const [review] = context.write('b', { plan: 'B' }, 0, 'reviewer', at);
    expect(review).toEqual({
      conflict: 0,
      key: 'plan',
      earlier: { stepId: 'a', value: 'A' },
      later: { stepId: 'b', value: 'B' },
    });
    expect(context.snapshot().conflicts[0]?.resolution).toBe('awaiting the reviewer');
    context.settle(review!, false, 'A is simpler', at);
    expect(context.read()).toEqual({ plan: 'A' });
    expect(context.snapshot().conflicts[0]?.resolution).toBe(
      'the reviewer kept the value from "a": A is simpler',
    );
  });
});
