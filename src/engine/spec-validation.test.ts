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
      { path: ['output'], message: '${{ steps.zz.output }} reads a step that does not exist' },
    ]);
  });
});
