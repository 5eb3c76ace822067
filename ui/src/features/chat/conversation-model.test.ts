import { describe, expect, it } from 'vitest';
import type { ChatEntryView } from '../../api/chat-types';
import { describeResolution, groupTurns, turnInFlight } from './conversation-model';

let at = 0;
const entry = (fields: Partial<ChatEntryView> & Pick<ChatEntryView, 'id' | 'role'>): ChatEntryView => ({
  turn: fields.id,
  at: new Date(Date.UTC(2026, 0, 1, 0, 0, at++)).toISOString(),
  text: '',
  status: 'done',
  ...fields,
});

describe('the conversation as turns', () => {
  it('puts each answer under the message it answers, in order', () => {
    const turns = groupTurns([
      entry({ id: 'u1', role: 'user', text: 'hi' }),
      entry({ id: 'u2', role: 'user', text: 'again', status: 'queued' }),
      entry({ id: 'a1', role: 'assistant', turn: 'u1', agent: 'tester' }),
      entry({ id: 'p1', role: 'plan', turn: 'u2' }),
      entry({ id: 'r1', role: 'run', turn: 'u2' }),
    ]);
    expect(turns.map((turn) => [turn.user?.id, turn.answers.map((answer) => answer.id)])).toEqual([
      ['u1', ['a1']],
      ['u2', ['p1', 'r1']],
    ]);
  });

  it('splits a team turn into its first answers, each debate round, and the resolution', () => {
    const [turn] = groupTurns([
      entry({ id: 'u1', role: 'user', mode: 'team' }),
      entry({ id: 'a1', role: 'assistant', turn: 'u1', agent: 'code-generator' }),
      entry({ id: 'a2', role: 'assistant', turn: 'u1', agent: 'docs-writer' }),
      entry({ id: 'a3', role: 'assistant', turn: 'u1', agent: 'code-generator', round: 1 }),
      entry({ id: 'a4', role: 'assistant', turn: 'u1', agent: 'docs-writer', round: 1 }),
      entry({
        id: 'a5',
        role: 'assistant',
        turn: 'u1',
        team: {
          method: 'debate',
          answers: ['a3', 'a4'],
          disagreed: true,
          settled: 'the judge chose x',
          rounds: 1,
        },
      }),
    ]);
    expect(turn?.team?.rounds.map((round) => round.map((answer) => answer.id))).toEqual([
      ['a1', 'a2'],
      ['a3', 'a4'],
    ]);
    expect(turn?.team?.resolution?.id).toBe('a5');
    expect(turn?.answers).toEqual([]);
  });

  it('keeps entries whose user message is gone (older turns summed up) as their own turn', () => {
    const turns = groupTurns([entry({ id: 'r1', role: 'run', turn: 'u0' })]);
    expect(turns).toHaveLength(1);
    expect(turns[0]?.user).toBeUndefined();
    expect(turns[0]?.answers.map((answer) => answer.id)).toEqual(['r1']);
  });

  it('says a turn is in flight while a user message runs or waits', () => {
    expect(turnInFlight([entry({ id: 'u1', role: 'user', status: 'running' })])).toBe(true);
    expect(turnInFlight([entry({ id: 'u1', role: 'user', status: 'queued' })])).toBe(true);
    expect(
      turnInFlight([entry({ id: 'u1', role: 'user' }), entry({ id: 'p', role: 'plan', turn: 'u1' })]),
    ).toBe(false);
  });

  it('says who won and whether the agents disagreed', () => {
    const judged = entry({
      id: 'a',
      role: 'assistant',
      team: { method: 'judge', answers: [], disagreed: true, winner: 'security-reviewer', settled: '' },
    });
    expect(describeResolution(judged)).toBe(
      "The agents disagreed; settled by the judge: security-reviewer's answer stands.",
    );
    const agreed = entry({
      id: 'b',
      role: 'assistant',
      team: { method: 'vote', answers: [], disagreed: false, settled: '' },
    });
    expect(describeResolution(agreed)).toBe('The agents agreed; settled by vote.');
  });
});
