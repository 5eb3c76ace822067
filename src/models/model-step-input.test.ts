import { describe, expect, it } from 'vitest';
import { ModelStepInput } from './model-step-input';

describe('ModelStepInput', () => {
  it('accepts a prompt with routing hints and a JSON schema for structured output', () => {
    const parsed = ModelStepInput.parse({
      prompt: 'Summarise the diff',
      policy: 'cheapest-capable',
      requires: { capabilities: ['code', 'json'], contextTokens: 16000 },
      schema: { type: 'object', properties: { summary: { type: 'string' } }, required: ['summary'] },
      maxTokens: 500,
      temperature: 0.2,
    });
    expect(parsed.requires?.capabilities).toEqual(['code', 'json']);
  });

  it('refuses unknown fields, unknown capabilities and policies, and schemas zod cannot read', () => {
    const result = ModelStepInput.safeParse({
      prompt: 'x',
      colour: 'red',
      policy: 'random',
      requires: { capabilities: ['telepathy'] },
      schema: { type: 'objec' },
    });
    expect(result.success).toBe(false);
    const paths = result.error?.issues.map((issue) => issue.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['', 'policy', 'requires.capabilities.0', 'schema']));
    expect(result.error?.issues.find((issue) => issue.path[0] === 'schema')?.message).toMatch(
      /not a usable JSON schema/,
    );
  });
});
