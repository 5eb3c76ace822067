import { describe, expect, it } from 'vitest';
import type { RunSnapshot, SpecStep } from '../../api/types';
import { buildGraph, layoutPositions } from './graph-model';

const steps = [
  { id: 'a', kind: 'tool', tool: 'noop', dependsOn: [] },
  { id: 'b', kind: 'tool', tool: 'noop', dependsOn: ['a'] },
] as unknown as SpecStep[];

describe('the run graph model', () => {
  it('chains compensations in the order they ran, each marked from the step it undoes', () => {
    const run = {
      steps: [],
      compensations: [
        { stepId: 'b', status: 'completed', startedAt: '2026-01-01T00:00:02Z' },
        { stepId: 'a', status: 'running', startedAt: '2026-01-01T00:00:03Z' },
      ],
    } as unknown as RunSnapshot;
    const { nodes, edges } = buildGraph('r', steps, run);
    expect(nodes.filter((node) => node.type === 'compensation').map((node) => node.id)).toEqual([
      'compensation:0:b',
      'compensation:1:a',
    ]);
    expect(edges.map((edge) => [edge.source, edge.target, edge.kind])).toContainEqual([
      'compensation:0:b',
      'compensation:1:a',
      'then',
    ]);
    const positions = layoutPositions(nodes, edges);
    expect(positions.get('b')!.y).toBeGreaterThan(positions.get('a')!.y);
  });

  it('adds the steps the run holds beyond its spec as planned nodes', () => {
    const run = {
      steps: [{ id: 'c', status: 'pending', kind: 'agent' }],
      compensations: [],
    } as unknown as RunSnapshot;
    const { nodes } = buildGraph('r', steps, run, new Set(['a', 'b']));
    const planned = nodes.find((node) => node.id === 'c');
    expect(planned?.data.kind === 'step' && planned.data.planned).toBe(true);
  });
});
