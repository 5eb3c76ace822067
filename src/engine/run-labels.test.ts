import { describe, expect, it } from 'vitest';
import { agentsUsed, runDetails, runSummary, stepSummary } from './run-labels';
import { Spec } from './spec';

const spec = Spec.parse({
  name: 'fix',
  description: 'Fix the bug\nand say how',
  steps: [
    { id: 'plan', kind: 'plan', with: { goal: 'fix it', agents: ['debugger', 'code-generator'] } },
    { id: 'check', kind: 'tool', tool: 'shell', with: { run: 'npm test' } },
    { id: 'ask', kind: 'model', with: { prompt: 'why?' } },
    {
      id: 'sub',
      kind: 'subworkflow',
      with: {
        spec: {
          name: 'child',
          steps: [{ id: 'review', kind: 'agent', agent: 'reviewer', with: { task: 'look' } }],
        },
      },
    },
  ],
});

describe('run labels', () => {
  it('lists the agents and tools a spec uses, its children and its planner included, not step kinds', () => {
    expect(agentsUsed(spec)).toEqual(['code-generator', 'debugger', 'planner', 'reviewer', 'shell']);
  });

  it('names a step by its id and who does it', () => {
    expect(spec.steps.map((step) => stepSummary(step))).toEqual([
      'plan · planner',
      'check · shell',
      'ask · model',
      'sub · child',
    ]);
  });

  it("summarises a run by its goal's first line, and details goal, spec, agents and the link back", () => {
    expect(runSummary(spec)).toBe('Fix the bug');
    expect(runDetails(spec, 'http://127.0.0.1:3000/api/runs/fix-1')).toBe(
      [
        '**Goal:** Fix the bug\nand say how',
        '**Spec:** fix (4 steps)',
        '**Uses:** code-generator, debugger, planner, reviewer, shell',
        '**Troupe:** [http://127.0.0.1:3000/api/runs/fix-1](http://127.0.0.1:3000/api/runs/fix-1)',
      ].join('\n\n'),
    );
  });
});
