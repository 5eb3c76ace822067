import { describe, expect, it } from 'vitest';
import { chatPlanSpec } from './chat-plan';

const registry = ['planner', 'summarizer', 'deploy', 'code-generator', 'tester'];

const answer = {
  steps: [
    { id: 'code', agent: 'code-generator', task: 'Write greet', dependsOn: [] },
    { id: 'check', agent: 'auto', needs: ['tests'], task: 'Test greet', dependsOn: ['code'] },
  ],
};

describe('chatPlanSpec', () => {
  it('lets a chat plan ask for a capability, choosing among the specialists only, never deploy', () => {
    const planned = chatPlanSpec('add greet', answer, registry, { auto: true });
    expect(planned.ok, JSON.stringify(!planned.ok && planned.problems)).toBe(true);
    const check = planned.ok ? planned.spec.steps.find((step) => step.id === 'plan_check') : undefined;
    expect(check).toMatchObject({
      kind: 'agent',
      agent: 'auto',
      needs: ['tests'],
      candidates: ['code-generator', 'tester'],
      dependsOn: ['plan_code'],
    });
  });

  it('reads the plan as before without the patch: auto is not an agent a chat plan may use', () => {
    expect(chatPlanSpec('add greet', answer, registry)).toEqual({
      ok: false,
      problems: ['step "check" names agent "auto"; the plan may use code-generator, tester'],
    });
  });
});
