import { describe, expect, it } from 'vitest';
import { findReferences, parsePath, resolveTemplates, TemplateError } from './template';

const context = {
  input: { name: 'world', tags: ['a', 'b'], nested: { n: 2 } },
  steps: { greet: { output: { stdout: 'Hello', lines: ['x', 'y'] } } },
};

describe('resolveTemplates', () => {
  it('keeps the value of a string that is exactly one template, objects included', () => {
    expect(resolveTemplates('${{ input.nested }}', context)).toEqual({ n: 2 });
    expect(resolveTemplates('${{steps.greet.output.lines[1]}}', context)).toBe('y');
  });

  it('interpolates templates inside longer text, objects as JSON', () => {
    expect(resolveTemplates('hi ${{ input.name }}: ${{ input.tags }}', context)).toBe('hi world: ["a","b"]');
  });

  it('walks arrays and objects and leaves non-strings alone', () => {
    expect(resolveTemplates({ a: ['${{ input.name }}', 3], b: true }, context)).toEqual({
      a: ['world', 3],
      b: true,
    });
  });

  it('names the missing part of a path', () => {
    expect(() => resolveTemplates('${{ input.missing.deep }}', context)).toThrow(
      new TemplateError('input.missing is not set (in ${{ input.missing.deep }})'),
    );
  });

  it('never reads inherited properties such as __proto__ or constructor', () => {
    expect(() => resolveTemplates('${{ input.constructor }}', context)).toThrow(TemplateError);
    expect(() => resolveTemplates('${{ input.__proto__ }}', context)).toThrow(TemplateError);
  });
});

describe('parsePath and findReferences', () => {
  it('parses dotted paths with indexes', () => {
    expect(parsePath('steps.s1.output.items[0].name')).toEqual(['steps', 's1', 'output', 'items', 0, 'name']);
  });

  it('refuses anything but a path from input or a step output', () => {
    expect(() => parsePath('process.env.SECRET')).toThrow('must start with input or steps');
    expect(() => parsePath('steps.greet.stdout')).toThrow("must read a step's output");
    expect(() => parsePath('input.a()')).toThrow('unexpected "()"');
  });

  it('reports where each template stands, with parse errors instead of throwing', () => {
    const references = findReferences({ env: { A: '${{ input.a }}', B: 'x ${{ 1 }}' } });
    expect(references).toEqual([
      { expression: 'input.a', at: ['env', 'A'], path: ['input', 'a'] },
      { expression: '1', at: ['env', 'B'], error: '"1" is not a path like input.name or steps.greet.output' },
    ]);
  });
});
