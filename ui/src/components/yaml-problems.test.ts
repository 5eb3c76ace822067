import { describe, expect, it } from 'vitest';
import { pathKeys, placeProblems } from './yaml-problems';

const spec = `name: demo
steps:
  - id: a
    kind: tool
    tool: shell
  - &b
    id: b
    kind: tool
    tool: hammer
    dependsOn: [a, nope]
  - { <<: *b, id: c }
`;

const lineText = (text: string, line: number) => text.split('\n')[line - 1];

describe('placeProblems', () => {
  it('reads a path with indices and drops the body field', () => {
    expect(pathKeys('spec.steps[12].with.run')).toEqual(['steps', 12, 'with', 'run']);
    expect(pathKeys('steps[0]')).toEqual(['steps', 0]);
  });

  it("puts a field's problem on the line of its key", () => {
    const [tool, dep] = placeProblems(spec, [
      { path: 'spec.steps[1].tool', message: 'unknown tool' },
      { path: 'spec.steps[1].dependsOn[1]', message: 'no step "nope"' },
    ]);
    expect(lineText(spec, tool!.line)).toBe('    tool: hammer');
    expect(spec.slice(tool!.from, tool!.to)).toBe('tool');
    expect(lineText(spec, dep!.line)).toBe('    dependsOn: [a, nope]');
    expect(spec.slice(dep!.from, dep!.to)).toBe('nope');
  });

  it('falls back to the nearest node YAML can see, such as a step built by a merge key', () => {
    const [merged, missing] = placeProblems(spec, [
      { path: 'spec.steps[2].tool', message: 'unknown tool' },
      { path: 'spec.output', message: 'required' },
    ]);
    expect(lineText(spec, merged!.line)).toBe('  - { <<: *b, id: c }');
    expect(missing!.line).toBe(1);
  });

  it('places a YAML syntax error at the line its message names', () => {
    const broken = 'name: x\nsteps:\n  - id: a\n   bad: [\n';
    const [problem] = placeProblems(broken, [
      { path: '', message: 'the spec is not valid YAML at line 4, column 4: bad indentation' },
    ]);
    expect(problem!.line).toBe(4);
  });
});
