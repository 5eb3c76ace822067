import { describe, expect, it } from 'vitest';
import { describeIssues, findCycles, parseSpec } from './spec-validation';

const step = (id: string, dependsOn: string[] = [], run = 'true') => ({
  id,
  kind: 'tool',
  tool: 'shell',
  dependsOn,
  with: { run },
});

describe('parseSpec', () => {
  it('accepts YAML text and fills defaults', () => {
    const result = parseSpec('name: s\nsteps:\n  - {id: a, kind: tool, tool: shell, with: {run: "true"}}\n');
    expect(result).toEqual({
      ok: true,
      spec: {
        name: 's',
        maxParallel: 10,
        contextPolicy: 'last-writer',
        steps: [{ id: 'a', kind: 'tool', tool: 'shell', dependsOn: [], with: { run: 'true' } }],
      },
    });
  });

  it('refuses YAML that is not a mapping with a schema error at the root', () => {
    const result = parseSpec('- just\n- a list\n');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.issues[0]?.path).toEqual([]);
  });

  it('finds every cycle and names it in execution order', () => {
    expect(findCycles([step('a', ['c']), step('b', ['a']), step('c', ['b']), step('d')])).toEqual([
      ['a', 'b', 'c', 'a'],
    ]);
  });

  it('requires a step that reads another to depend on it, directly or through others', () => {
    const reads = (id: string, from: string, dependsOn: string[]) => ({
      ...step(id, dependsOn),
      with: { run: 'echo "$X"', env: { X: `\${{ steps.${from}.output }}` } },
    });
    expect(parseSpec({ name: 's', steps: [step('a'), step('b', ['a']), reads('c', 'a', ['b'])] }).ok).toBe(
      true,
    );
    const result = parseSpec({ name: 's', steps: [step('a'), reads('c', 'a', [])] });
    expect(!result.ok && describeIssues(result.issues, ['spec'])).toBe(
      'spec.steps[1].with.env.X: ${{ steps.a.output }} reads step "a", so step "c" must list it (or a step after it) in dependsOn',
    );
  });

  it('checks the output template against the steps', () => {
    const result = parseSpec({ name: 's', steps: [step('a')], output: '${{ steps.zz.output }}' });
    expect(!result.ok && result.issues).toEqual([
      {
        path: ['output'],
        message: '${{ steps.zz.output }} reads step "zz", which is not a step in this spec',
      },
    ]);
  });

  it('checks conditions, foreach items and compensations like templates', () => {
    const result = parseSpec({
      name: 's',
      steps: [
        { ...step('a'), when: 'steps.b.output == 1' },
        { ...step('b', ['a']), foreach: { items: '${{ input.list' } },
        { ...step('c'), with: { run: 'echo "$X"', env: { X: '${{ item }}' } } },
        {
          ...step('d', ['a']),
          compensate: {
            kind: 'tool',
            tool: 'shell',
            with: { run: 'undo "$O"', env: { O: '${{ steps.d.output }}' } },
          },
        },
      ],
    });
    expect(
      !result.ok && result.issues.map((issue) => [issue.path.join('.'), issue.message.slice(0, 50)]),
    ).toEqual([
      ['steps.0.when', '${{ steps.b.output == 1 }} reads step "b", so step'],
      ['steps.1.foreach', '"${{ input.list" is not a valid expression: Unexpe'],
      ['steps.2.with.env.X', '${{ item }} uses item or index, which only a forea'],
    ]);
  });

  it('names unknown tools and kinds by their field', () => {
    const result = parseSpec({
      name: 's',
      steps: [
        { id: 'a', kind: 'tool', tool: 'hammer' },
        { id: 'b', kind: 'dance' },
      ],
    });
    expect(!result.ok && result.issues).toEqual([
      { path: ['steps', 0, 'tool'], message: 'tool must be one of: "shell", "noop"' },
      {
        path: ['steps', 1, 'kind'],
        message: 'kind must be one of: "tool", "model", "agent", "approval", "wait", "subworkflow", "plan"',
      },
    ]);
  });

  it('validates the spec of a subworkflow step, with paths into it', () => {
    const child = { name: 'child', steps: [step('x', ['ghost'])] };
    const result = parseSpec({
      name: 's',
      steps: [{ id: 'sub', kind: 'subworkflow', with: { spec: child } }],
    });
    expect(!result.ok && result.issues).toEqual([
      {
        path: ['steps', 0, 'with', 'spec', 'steps', 0, 'dependsOn', 0],
        message: 'step "x" depends on "ghost", which is not a step in this spec',
      },
    ]);
  });
});

describe('schema and graph errors together', () => {
  it('names a missing kind and an unknown dependency in one answer', () => {
    const result = parseSpec({ name: 'bad', steps: [{ id: 'a', dependsOn: ['nope'] }] });
    expect(!result.ok && describeIssues(result.issues, ['spec'])).toBe(
      [
        'spec.steps[0].kind: kind must be one of: "tool", "model", "agent", "approval", "wait", "subworkflow", "plan"',
        'spec.steps[0].dependsOn[0]: step "a" depends on "nope", which is not a step in this spec',
      ].join('\n'),
    );
  });

  it('names a cycle and a missing tool in one answer', () => {
    const result = parseSpec({
      name: 'bad',
      steps: [{ id: 'a', kind: 'tool', dependsOn: ['b'], with: { run: 'true' } }, step('b', ['a'])],
    });
    expect(!result.ok && result.issues).toEqual([
      { path: ['steps', 0, 'tool'], message: 'tool must be one of: "shell", "noop"' },
      { path: ['steps', 0, 'dependsOn'], message: 'dependency cycle: a -> b -> a' },
    ]);
  });

  it('checks the graph of a child spec inside a spec the schema refused', () => {
    const result = parseSpec({
      name: 'bad',
      colour: 'red',
      steps: [
        {
          id: 'sub',
          kind: 'subworkflow',
          with: { spec: { name: 'c', steps: [{ id: 'x', dependsOn: ['x'] }] } },
        },
      ],
    });
    expect(!result.ok && result.issues.map((issue) => describeIssues([issue]))).toEqual([
      'steps[0].with.spec.steps[0].kind: kind must be one of: "tool", "model", "agent", "approval", "wait", "subworkflow", "plan"',
      'colour: unknown field "colour"',
      'steps[0].with.spec.steps[0].dependsOn[0]: step "x" depends on itself',
    ]);
  });

  it('skips the graph checks when the ids or dependsOn do not parse', () => {
    const result = parseSpec({ name: 'bad', steps: [{ id: 'a', dependsOn: 'b' }, { dependsOn: ['a'] }] });
    expect(!result.ok && result.issues.every((issue) => !/depends on|cycle/.test(issue.message))).toBe(true);
  });
});

describe('agent steps', () => {
  it('names an agent the registry does not have, and the agents it does', () => {
    const spec = {
      name: 's',
      steps: [{ id: 'a', kind: 'agent', agent: 'wizard', with: { task: 'Do magic.' } }],
    };
    expect(parseSpec(spec).ok).toBe(true);
    const result = parseSpec(spec, { agents: new Set(['tester', 'debugger']) });
    expect(!result.ok && result.issues).toEqual([
      { path: ['steps', 0, 'agent'], message: 'unknown agent "wizard"; the registry has debugger, tester' },
    ]);
  });
});
