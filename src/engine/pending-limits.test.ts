import { describe, expect, it } from 'vitest';
import { parseSpec } from './spec-validation';

const fanOut = (maxParallel: number, parallelism: number[]) => ({
  name: 'wide',
  maxParallel,
  steps: parallelism.map((width, index) => ({
    id: `s${index}`,
    kind: 'tool',
    tool: 'noop',
    foreach: { items: '[1, 2, 3]', parallelism: width },
  })),
});

const messages = (spec: unknown) => {
  const result = parseSpec(spec);
  return result.ok ? [] : result.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
};

describe("Temporal's pending limits", () => {
  it('refuses a maxParallel over 2000 and names the limit it would break', () => {
    expect(messages(fanOut(2001, [1]))).toEqual([
      expect.stringMatching(
        /^maxParallel: maxParallel is at most 2000: .*limit\.numPendingActivities\.error/,
      ),
    ]);
  });

  it('refuses a foreach parallelism over 2000 at its path', () => {
    expect(messages(fanOut(1, [2500]))).toEqual([
      expect.stringMatching(
        /^steps\.0\.foreach\.parallelism: foreach\.parallelism is at most 2000: .*pending child/,
      ),
    ]);
  });

  it('refuses foreach steps that together could keep more than 2000 calls pending', () => {
    expect(messages(fanOut(3, [1500, 800, 10]))).toEqual([
      expect.stringMatching(
        /^maxParallel: up to 2310 activities or child workflows could be pending at once .*steps\[0\], steps\[1\], steps\[2\]\).*allows 2000 pending activities/,
      ),
    ]);
  });

  it('accepts the same steps when maxParallel keeps them under the limit', () => {
    expect(messages(fanOut(1, [1500, 800, 10]))).toEqual([]);
    expect(messages(fanOut(2000, [1]))).toEqual([]);
  });
});
