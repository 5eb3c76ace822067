import { describe, expect, it } from 'vitest';
import type { Attachment } from '../../api/chat-types';
import type { ModeChoice } from './ModePicker';
import { toSendBody } from './send-body';

const choice = (patch: Partial<ModeChoice> = {}): ModeChoice => ({
  mode: 'single',
  agent: 'auto',
  team: { agents: ['code-generator', 'tester'], resolve: 'judge', rounds: 2 },
  ...patch,
});
const csv: Attachment = {
  name: 'sales.csv',
  kind: 'csv',
  mediaType: 'text/csv',
  size: 10,
  path: 'attachments/sales.csv',
};

describe('the body a draft is sent as', () => {
  it('sends nothing for an empty draft without files', () => {
    expect(toSendBody('   ', choice(), [])).toBeUndefined();
  });

  it('sends a single-agent message with its agent and its files by name', () => {
    expect(toSendBody(' hi ', choice({ agent: 'tester' }), [csv])).toMatchObject({
      text: 'hi',
      mode: 'single',
      agent: 'tester',
      attachments: ['sales.csv'],
    });
  });

  it('sends a team with its resolution, and rounds only for a debate', () => {
    const judged = toSendBody('q', choice({ mode: 'team' }), []);
    expect(judged).toMatchObject({
      mode: 'team',
      team: { agents: ['code-generator', 'tester'], resolve: 'judge' },
    });
    expect(judged?.team).not.toHaveProperty('rounds');
    const debated = toSendBody(
      'q',
      choice({ mode: 'team', team: { ...choice().team, resolve: 'debate', rounds: 3 } }),
      [],
    );
    expect(debated?.team).toMatchObject({ resolve: 'debate', rounds: 3 });
  });

  it('sends a slash command as typed, whatever the mode, and gives every message its own id', () => {
    const command = toSendBody('/status', choice({ mode: 'workflow' }), []);
    expect(command).toEqual({ text: '/status', clientMessageId: expect.any(String) });
    expect(toSendBody('a', choice(), [])?.clientMessageId).not.toBe(
      toSendBody('a', choice(), [])?.clientMessageId,
    );
  });
});
