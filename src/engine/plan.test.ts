import { describe, expect, it } from 'vitest';
import { goalSpec, plannedSteps, plansAuto, withPlanJoined } from './plan';
import { PlanStep, Spec, type AgentStep } from './spec';
import { parseSpec } from './spec-validation';

const planStep = (agents?: string[], maxSteps = 8) =>
  PlanStep.parse({
    id: 'plan',
    kind: 'plan',
    with: { goal: 'add rate limiting', repo: '/srv/app', maxSteps, ...(agents && { agents }) },
  });

const answer = {
  steps: [
    { id: 'write-code', agent: 'code-generator', task: 'Add a limiter', dependsOn: [] },
    { id: 'test', agent: 'tester', task: 'Run the tests', dependsOn: ['write-code'] },
  ],
};

describe('plannedSteps', () => {
  it('turns a plan into agent steps after the plan step, with ids of its own and the run’s repo', () => {
    const result = plannedSteps(planStep(['code-generator', 'tester']), answer);
    expect(result).toEqual({
      ok: true,
      steps: [
        {
          id: 'plan_write_code',
          kind: 'agent',
          agent: 'code-generator',
          description: 'Add a limiter',
          dependsOn: ['plan'],
          with: { task: 'Add a limiter', repo: '/srv/app' },
          publish: { plan_write_code: '${{ steps.plan_write_code.output.output }}' },
        },
        {
          id: 'plan_test',
          kind: 'agent',
          agent: 'tester',
          description: 'Run the tests',
          dependsOn: ['plan', 'plan_write_code'],
          with: { task: 'Run the tests', repo: '/srv/app' },
          publish: { plan_test: '${{ steps.plan_test.output.output }}' },
        },
      ],
    });
  });

  it('names every problem of a bad plan', () => {
    const result = plannedSteps(planStep(['code-generator'], 2), {
      steps: [
        { id: 'a', agent: 'wizard', task: 'magic', dependsOn: ['nowhere'] },
        { id: 'a', agent: 'code-generator', task: 'again', dependsOn: [] },
        { id: 'b', agent: 'code-generator', task: 'more', dependsOn: [] },
      ],
    });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems).toEqual([
      '3 steps; the plan may have at most 2',
      'step "a" names agent "wizard"; the plan may use code-generator',
      'step "a" depends on "nowhere", which the plan does not have',
      'steps "a" and "a" both become step "plan_a"',
    ]);
  });

  it('keeps a planned task as text, even when it looks like a template', () => {
    const result = plannedSteps(planStep(), {
      steps: [{ id: 'ci', agent: 'debugger', task: 'fix ${{ matrix.os }} in ci.yml' }],
    });
    const [step] = result.ok ? result.steps : [];
    expect(step?.description).toBe('fix ${{ matrix.os }} in ci.yml');
    expect(step?.with.task).toBe('fix $${{ matrix.os }} in ci.yml');
  });

  it('is refused with foreach: a plan step plans once', () => {
    const parsed = parseSpec({
      name: 'twice',
      steps: [{ id: 'plan', kind: 'plan', foreach: { items: '${{ [1, 2] }}' }, with: { goal: 'g' } }],
    });
    expect(!parsed.ok && parsed.issues).toEqual([
      { path: ['steps', 0, 'foreach'], message: 'a plan step plans once: it takes no foreach' },
    ]);
  });

  it('says where a malformed answer is wrong', () => {
    const result = plannedSteps(planStep(), { steps: [{ id: 'x', agent: 'tester' }] });
    expect(!result.ok && result.problems).toEqual([expect.stringMatching(/^steps\.0\.task: /)]);
    expect(plannedSteps(planStep(), 'no plan today')).toMatchObject({ ok: false });
    expect(plannedSteps(planStep(), { steps: [] })).toEqual({
      ok: false,
      problems: ['steps: a plan needs at least one step'],
    });
  });
});

describe('plannedSteps with agent: auto', () => {
  const autoAnswer = {
    steps: [
      { id: 'code', agent: 'code-generator', task: 'Add a limiter', dependsOn: [] },
      { id: 'check', agent: 'auto', needs: ['tests'], task: 'Test the limiter', dependsOn: ['code'] },
    ],
  };

  it('asks for the patch only for an answer that asks for a capability', () => {
    expect(plansAuto(autoAnswer)).toBe(true);
    expect(plansAuto({ steps: [{ id: 'a', agent: 'tester', needs: ['tests'], task: 't' }] })).toBe(true);
    expect(plansAuto(answer)).toBe(false);
    expect(plansAuto('no plan')).toBe(false);
    expect(plansAuto({ steps: [null, 3] })).toBe(false);
  });

  it('makes an auto step that chooses by its needs among the plan step’s agents only', () => {
    const result = plannedSteps(planStep(['code-generator', 'tester', 'docs-writer']), autoAnswer, {
      auto: true,
    });
    const check = result.ok ? result.steps[1] : undefined;
    expect(check).toEqual({
      id: 'plan_check',
      kind: 'agent',
      agent: 'auto',
      needs: ['tests'],
      candidates: ['code-generator', 'tester', 'docs-writer'],
      description: 'Test the limiter',
      dependsOn: ['plan', 'plan_code'],
      with: { task: 'Test the limiter', repo: '/srv/app' },
      publish: { plan_check: '${{ steps.plan_check.output.output }}' },
    });
    expect(result.ok && result.steps[0]).not.toHaveProperty('needs');
    // As a run's spec would take it: the registry's check of candidates and needs passes.
    const spec = parseSpec(
      {
        name: 'planned',
        steps: [{ id: 'plan', kind: 'plan', with: { goal: 'g' } }, ...(result.ok ? result.steps : [])],
      },
      {
        agents: new Set(['planner', 'code-generator', 'tester', 'docs-writer', 'deploy']),
        provides: new Map([
          ['tester', ['tests']],
          ['code-generator', ['code']],
          ['docs-writer', ['docs']],
          ['deploy', ['deploy']],
        ]),
      },
    );
    expect(spec.ok, JSON.stringify(!spec.ok && spec.issues)).toBe(true);
  });

  it('refuses auto without needs, needs beside a named agent, and auto when the plan step lists no agents', () => {
    const bad = {
      steps: [
        { id: 'a', agent: 'auto', task: 'Do something', dependsOn: [] },
        { id: 'b', agent: 'tester', needs: ['tests'], task: 'Test', dependsOn: [] },
      ],
    };
    expect(plannedSteps(planStep(['tester']), bad, { auto: true })).toEqual({
      ok: false,
      problems: [
        'step "a" asks for agent: auto without needs (for example needs: [tests])',
        'step "b" names agent "tester" and needs; needs applies only to agent: auto',
      ],
    });
    expect(plannedSteps(planStep(), autoAnswer, { auto: true })).toEqual({
      ok: false,
      problems: [
        'step "check" asks for agent: auto, but the plan step lists no agents to choose among (with.agents); name the agent instead',
      ],
    });
    const unreadable = { steps: [{ id: 'a', agent: 'auto', needs: ['Run Tests!'], task: 't' }] };
    expect(plannedSteps(planStep(['tester']), unreadable, { auto: true })).toEqual({
      ok: false,
      problems: [expect.stringMatching(/^steps\.0\.needs\.0: a capability is one kebab-case word/)],
    });
  });

  it('reads a plan as before without the patch: needs is not read, and auto is an agent the plan may not use', () => {
    expect(plannedSteps(planStep(['code-generator', 'tester']), autoAnswer)).toEqual({
      ok: false,
      problems: ['step "check" names agent "auto"; the plan may use code-generator, tester'],
    });
    const unlisted = plannedSteps(planStep(), {
      steps: [{ id: 'a', agent: 'auto', needs: ['Run Tests!'], task: 't' }],
    });
    expect(unlisted.ok && unlisted.steps[0]).toMatchObject({ agent: 'auto' });
    expect(unlisted.ok && unlisted.steps[0]).not.toHaveProperty('needs');
  });
});

describe('goalSpec', () => {
  it('plans with the specialists, then sums up with the summarizer, as a valid spec', () => {
    const registry = ['tester', 'planner', 'docs-writer', 'summarizer', 'deploy'];
    const spec = goalSpec({ goal: 'Add docs', budget: { usd: 0.5 } }, registry);
    expect(spec.steps[0]?.with).toEqual({
      goal: 'Add docs',
      agent: 'planner',
      agents: ['docs-writer', 'tester'],
    });
    expect(spec.steps[1]).toMatchObject({ id: 'summarize', agent: 'summarizer', dependsOn: ['plan'] });
    expect(spec.output).toBe('${{ steps.summarize.output.output }}');
    const parsed = parseSpec(spec, { agents: new Set(registry) });
    expect(parsed.ok).toBe(true);
  });

  it('fails validation when the registry has no planner', () => {
    const parsed = parseSpec(goalSpec({ goal: 'Add docs' }, ['tester']), { agents: new Set(['tester']) });
    expect(!parsed.ok && parsed.issues).toEqual([
      { path: ['steps', 0, 'with', 'agent'], message: 'unknown agent "planner"; the registry has tester' },
    ]);
  });
});

describe('withPlanJoined', () => {
  it('makes the steps after the plan step wait for the plan’s last steps too', () => {
    const spec = Spec.parse({
      name: 'planned',
      steps: [
        { id: 'plan', kind: 'plan', with: { goal: 'ship it' } },
        {
          id: 'summarize',
          kind: 'agent',
          agent: 'summarizer',
          dependsOn: ['plan'],
          with: { task: 'sum up' },
        },
        { id: 'unrelated', kind: 'wait', with: { duration: '1s' } },
      ],
    });
    const result = plannedSteps(planStep(), answer);
    const planned: AgentStep[] = result.ok ? result.steps : [];
    const joined = withPlanJoined(spec, 'plan', planned);
    expect(joined.map((step) => [step.id, step.dependsOn])).toEqual([
      ['plan_write_code', ['plan']],
      ['plan_test', ['plan', 'plan_write_code']],
      ['summarize', ['plan', 'plan_test']],
    ]);
  });
});
