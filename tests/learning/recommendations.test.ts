import { describe, expect, it } from 'vitest';
import { recommend } from '../../src/learning/recommendations';

describe('recommendations', () => {
  it('states a failing pairing and a better one with the numbers behind both', () => {
    const records = [
      ...Array.from({ length: 20 }, (_, i) => ({
        agent: 'debugger',
        model: 'gpt-4o-mini',
        success: i >= 8,
        costUsd: 0.002,
        inputTokens: 6000,
      })),
      ...Array.from({ length: 20 }, (_, i) => ({
        agent: 'debugger',
        model: 'qwen2.5-coder:7b',
        success: i >= 3,
        costUsd: 0,
        inputTokens: 6000,
      })),
      ...Array.from({ length: 20 }, () => ({
        agent: 'debugger',
        model: 'gpt-4o-mini',
        success: true,
        costUsd: 0.001,
        inputTokens: 500,
      })),
    ];
    const [r, ...rest] = recommend(records);
    expect(rest).toEqual([]);
    expect(r?.message).toBe(
      'debugger on gpt-4o-mini fails 40% of the time on tasks over 4k tokens (8 of 20); qwen2.5-coder:7b succeeds 85% at $0 (17 of 20)',
    );
  });

  it('says nothing without enough records', () => {
    expect(recommend([{ agent: 'a', model: 'm', success: false, costUsd: 0, inputTokens: 1 }])).toEqual([]);
  });
});
