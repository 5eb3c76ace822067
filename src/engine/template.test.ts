import { describe, expect, it } from 'vitest';
import { ExpressionError } from './expressions';
import { bareExpression, findReferences, literalText, resolveTemplates } from './template';

const context = {
  input: { name: 'world', tags: ['a', 'b'], nested: { n: 2 }, price: 1.5 },
  steps: { greet: { status: 'completed', output: { stdout: 'Hello', lines: ['x', 'y'] } } },
};

describe('resolveTemplates', () => {
  it('keeps the value of a string that is exactly one template, objects included', () => {
    expect(resolveTemplates('${{ input.nested }}', context)).toEqual({ n: 2 });
    expect(resolveTemplates('${{steps.greet.output.lines[1]}}', context)).toBe('y');
  });

  it('interpolates templates inside longer text, objects as JSON', () => {
    expect(resolveTemplates('hi ${{ input.name }}: ${{ input.tags }}', context)).toBe('hi world: ["a","b"]');
  });

  it('evaluates CEL, with whole JSON numbers as ints and the rest as doubles', () => {
    expect(resolveTemplates('${{ input.nested.n + 1 }}', context)).toBe(3);
    expect(resolveTemplates('${{ input.price * 2.0 }}', context)).toBe(3);
    expect(resolveTemplates('${{ input.tags.map(t, t + "!") }}', context)).toEqual(['a!', 'b!']);
    expect(resolveTemplates('${{ size(input.name) > 3 ? "long" : "short" }}', context)).toBe('long');
  });

  it('walks arrays and objects and leaves non-strings alone', () => {
    expect(resolveTemplates({ a: ['${{ input.name }}', 3], b: true }, context)).toEqual({
      a: ['world', 3],
      b: true,
    });
  });

  it('names the missing key and the expression', () => {
    expect(() => resolveTemplates('${{ input.missing.deep }}', context)).toThrow(
      new ExpressionError('No such key: missing (in ${{ input.missing.deep }})'),
    );
  });

  it('keeps escaped text as text: literalText survives resolution unchanged, once', () => {
    const goal = 'fix ${{ matrix.os }} in ci.yml, not ${{ input.name }}';
    expect(resolveTemplates(literalText(goal), context)).toBe(goal);
    expect(findReferences(literalText(goal))).toEqual([]);
    expect(resolveTemplates(`${literalText('${{ x }}')} and \${{ input.name }}`, context)).toBe(
      '${{ x }} and world',
    );
    // A value a template yields is never unescaped again.
    expect(resolveTemplates('${{ "$${{" }}', context)).toBe('$${{');
  });

  it('has no way to reach anything but its variables', () => {
    expect(() => resolveTemplates('${{ process.env }}', context)).toThrow(ExpressionError);
    expect(() => resolveTemplates('${{ input.constructor }}', context)).toThrow(ExpressionError);
  });
});

describe('findReferences', () => {
  it('reports where each template stands, the steps it reads, and syntax errors', () => {
    const references = findReferences({
      env: { A: '${{ steps.a.output + steps["b"].output }}', B: 'x ${{ input. }}' },
    });
    expect(references).toEqual([
      { expression: 'steps.a.output + steps["b"].output', at: ['env', 'A'], steps: ['a', 'b'] },
      {
        expression: 'input.',
        at: ['env', 'B'],
        steps: [],
        error: expect.stringMatching(/^"input\." is not a valid expression: /),
      },
    ]);
  });

  it('rejects variables that do not exist', () => {
    expect(findReferences('${{ secrets.token }}')[0]?.error).toMatch(
      /^"secrets.token" is not a valid expression/,
    );
  });
});

describe('bareExpression', () => {
  it('accepts a condition with or without ${{ }}', () => {
    expect(bareExpression('${{ input.go }}')).toBe('input.go');
    expect(bareExpression(' input.go == true ')).toBe('input.go == true');
  });
});
