import { describe, expect, it } from 'vitest';
import { evaluateExpression, StoredValueNeeded, type ExpressionContext } from './expressions';
import { resolveTemplates } from './template';

const ref = { $blob: `sha256:${'a'.repeat(64)}`, bytes: 5_242_880, preview: 'xxxx' };
const list = { $blob: `sha256:${'b'.repeat(64)}`, bytes: 90_000, preview: '[{', items: 200 };
const context: ExpressionContext = {
  input: {},
  steps: {
    big: { status: 'completed', output: { stdout: ref, exitCode: 0 } },
    print: { status: 'completed', output: list },
  },
};

describe('stored values in expressions', () => {
  it('reads the fields beside a stored value as usual', () => {
    expect(evaluateExpression('steps.big.output.exitCode == 0', context)).toBe(true);
  });

  it('passes a stored value along whole, as a reference', () => {
    expect(resolveTemplates({ text: '${{ steps.big.output.stdout }}' }, context)).toEqual({ text: ref });
    expect(resolveTemplates('${{ steps.big.output }}', context)).toEqual({ stdout: ref, exitCode: 0 });
    expect(resolveTemplates('${{ steps.print.output }}', context)).toEqual(list);
  });

  it('refuses size(), field access and text around a stored value, naming where it stands', () => {
    for (const template of [
      '${{ size(steps.big.output.stdout) }}',
      'echo ${{ steps.big.output.stdout }}',
      '${{ steps.print.output[3].stdout }}',
    ]) {
      expect(() => resolveTemplates(template, context)).toThrow(StoredValueNeeded);
    }
    expect(() => evaluateExpression('size(steps.big.output.stdout) > 3', context)).toThrow(
      /reads steps\.big\.output\.stdout \(5242880 bytes\), which is held in the blob store/,
    );
    expect(() => evaluateExpression('size(steps.print.output)', context)).toThrow(
      /reads steps\.print\.output \(a list of 200 items\)/,
    );
  });
});
