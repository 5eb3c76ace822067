import { describe, expect, it } from 'vitest';
import { parseSpec } from './spec-validation';
import { Spec } from './spec';

const registry = { agents: new Set(['tester', 'reviewer', 'code-generator', 'docs-writer']) };
const specWith = (step: Record<string, unknown>) => ({
  name: 'team',
  steps: [{ id: 'pick', kind: 'agent', with: { task: 'Pick a name.' }, ...step }],
});
const issues = (step: Record<string, unknown>) => {
  const result = parseSpec(specWith(step), registry);
  return result.ok
    ? []
    : result.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
};

describe('collaborate on an agent step', () => {
  it('accepts a team without agent, reading agent as the first listed, and parses again unchanged', () => {
    const result = parseSpec(
      specWith({ collaborate: { mode: 'debate', agents: ['tester', 'code-generator'], rounds: 2 } }),
      registry,
    );
    expect(result.ok).toBe(true);
    const spec = result.ok ? result.spec : undefined;
    expect(spec?.steps[0]).toMatchObject({ agent: 'tester', collaborate: { mode: 'debate', rounds: 2 } });
    expect(Spec.parse(spec)).toEqual(spec);
    expect(parseSpec(spec, registry).ok).toBe(true);
  });

  it('names the path of an unknown agent, of a team of one, and of a mode that does not exist', () => {
    expect(issues({ collaborate: { mode: 'judge', agents: ['tester', 'poet'] } })).toEqual([
      {
        path: 'steps.0.collaborate.agents.1',
        message: expect.stringMatching(/^unknown agent "poet"; the registry has/),
      },
    ]);
    expect(issues({ collaborate: { mode: 'vote', agents: ['tester'] } })).toEqual([
      { path: 'steps.0.collaborate.agents', message: expect.stringMatching(/at least 2 agents/) },
    ]);
    expect(issues({ collaborate: { mode: 'poll', agents: ['tester', 'reviewer'] } })[0]?.path).toBe(
      'steps.0.collaborate.mode',
    );
    expect(issues({ collaborate: { mode: 'vote', agents: ['tester', 'tester'] } })).toEqual([
      { path: 'steps.0.collaborate.agents', message: 'collaborate.agents lists each agent once' },
    ]);
  });

  it('takes rounds only for a debate, and bounded', () => {
    expect(issues({ collaborate: { mode: 'vote', agents: ['tester', 'reviewer'], rounds: 2 } })).toEqual([
      {
        path: 'steps.0.collaborate.rounds',
        message:
          "rounds applies only to mode: debate; this step's mode is vote (drop rounds, or use mode: debate)",
      },
    ]);
    expect(issues({ collaborate: { mode: 'debate', agents: ['tester', 'reviewer'], rounds: 9 } })).toEqual([
      { path: 'steps.0.collaborate.rounds', message: 'a debate has at most 5 rounds' },
    ]);
    expect(
      issues({ collaborate: { mode: 'debate', agents: ['tester', 'reviewer'], rounds: 0 } })[0]?.message,
    ).toBe('a debate has at least 1 round');
  });

  it('refuses a judge where nobody judges, auto in the team, an agent outside it, and foreach', () => {
    expect(
      issues({ collaborate: { mode: 'vote', agents: ['tester', 'reviewer'], judge: 'reviewer' } }),
    ).toEqual([
      {
        path: 'steps.0.collaborate.judge',
        message: expect.stringMatching(/^judge applies only to mode: judge or debate/),
      },
    ]);
    expect(issues({ collaborate: { mode: 'judge', agents: ['tester', 'auto'] } })).toEqual([
      { path: 'steps.0.collaborate.agents.1', message: expect.stringMatching(/auto chooses one/) },
    ]);
    expect(
      issues({ agent: 'docs-writer', collaborate: { mode: 'judge', agents: ['tester', 'reviewer'] } }),
    ).toEqual([
      {
        path: 'steps.0.agent',
        message: expect.stringMatching(/^with collaborate, agent is one of collaborate.agents/),
      },
    ]);
    expect(
      issues({
        foreach: { items: '[1, 2]' },
        collaborate: { mode: 'judge', agents: ['tester', 'reviewer'] },
      }),
    ).toEqual([{ path: 'steps.0.foreach', message: expect.stringMatching(/takes no foreach/) }]);
    expect(
      issues({ collaborate: { mode: 'judge', agents: ['tester', 'reviewer'], judge: 'oracle' } }),
    ).toEqual([
      { path: 'steps.0.collaborate.judge', message: expect.stringMatching(/^unknown agent "oracle"/) },
    ]);
  });

  it('still needs an agent when there is no team', () => {
    expect(issues({})).toEqual([
      {
        path: 'steps.0.agent',
        message: expect.stringMatching(/names its agent .* or lists several in collaborate.agents/),
      },
    ]);
  });
});
