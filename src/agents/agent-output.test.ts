import { describe, expect, it } from 'vitest';
import { continueNote, parseAgentAnswer, taskPrompt } from './agent-output';

const schema = { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] };

describe('parseAgentAnswer', () => {
  it('accepts plain, fenced and sentence-wrapped JSON that matches the schema', () => {
    expect(parseAgentAnswer('{"ok":true}', schema)).toEqual({ ok: true, value: { ok: true } });
    expect(parseAgentAnswer('```json\n{"ok":false}\n```', schema)).toEqual({
      ok: true,
      value: { ok: false },
    });
    expect(parseAgentAnswer('Done! {"ok":true} Bye.', schema)).toEqual({ ok: true, value: { ok: true } });
  });

  it('explains text that is not JSON, and JSON that misses the schema', () => {
    expect(parseAgentAnswer('all good', schema)).toEqual({
      ok: false,
      problem: 'the answer is not JSON: "all good"',
    });
    expect(parseAgentAnswer('{"ok":"yes"}', schema)).toMatchObject({
      ok: false,
      problem: expect.stringContaining('ok:') as string,
    });
  });
});

describe('turn prompts', () => {
  it('tag every user turn with the step and turn number', () => {
    expect(taskPrompt('fix', 'Fix it.', undefined)).toBe('[fix turn 1] Fix it.');
    expect(taskPrompt('fix', 'Fix it.', { failing: 2 })).toContain('Context (JSON):\n{\n  "failing": 2\n}');
    expect(continueNote('fix', 3, ['read_file', 'run_tests'])).toMatch(
      /^\[fix turn 3\] The results of read_file, run_tests/,
    );
  });
});
