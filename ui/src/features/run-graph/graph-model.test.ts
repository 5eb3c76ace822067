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

  it('lays 500 steps out in layers, each below what it depends on, none overlapping, in milliseconds', () => {
    const big = Array.from({ length: 500 }, (_, index) => ({
      id: `s${index}`,
      kind: 'tool',
      tool: 'noop',
      dependsOn: index < 10 ? [] : [`s${index - 10}`, ...(index % 10 ? [`s${index - 11}`] : [])],
    })) as unknown as SpecStep[];
    const { nodes, edges } = buildGraph('r', big, undefined);
    const began = performance.now();
    const positions = layoutPositions(nodes, edges);
    expect(performance.now() - began).toBeLessThan(200);
    for (const edge of edges) {
      expect(positions.get(edge.target)!.y).toBeGreaterThan(positions.get(edge.source)!.y);
    }
    const boxes = nodes.map((node) => ({ ...positions.get(node.id)!, w: node.width, h: node.height }));
    const overlapping = boxes.filter((a, i) =>
      boxes.some((b, j) => j > i && a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h),
    );
    expect(overlapping).toEqual([]);
    expect(new Set(boxes.map((box) => box.y)).size).toBe(50);
  });
});
