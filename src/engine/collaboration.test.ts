import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bestOf,
  debateNote,
  majorityVote,
  normalizeOutput,
  parseDecision,
  scoreAnswer,
  settleTeam,
  tallyVotes,
  TaskSubject,
  type Decision,
  type TeamAnswer,
  type TeamPlan,
} from './collaboration';

const agentIds = ['a', 'b', 'c', 'd', 'e'];
/** Up to five agents, each with one of a few answers, so agreement and ties both happen often. */
const answersArb = fc
  .integer({ min: 1, max: 5 })
  .chain((n) =>
    fc
      .array(fc.constantFrom('"yes"', '"no"', '"maybe"', '{"x":1}'), { minLength: n, maxLength: n })
      .map((keys) => keys.map((key, i) => ({ agent: agentIds[i]!, key }))),
  );

describe('majorityVote', () => {
  it('always elects an answer that no other answer outnumbers', () => {
    fc.assert(
      fc.property(answersArb, (answers) => {
        const vote = majorityVote(answers);
        const count = (key: string) => answers.filter((answer) => answer.key === key).length;
        for (const other of answers) expect(count(vote.key)).toBeGreaterThanOrEqual(count(other.key));
        expect(answers.find((answer) => answer.agent === vote.winner)?.key).toBe(vote.key);
      }),
    );
  });

  it('elects the same answer whatever order the answers come in, ties included', () => {
    fc.assert(
      fc.property(
        answersArb.chain((answers) =>
          fc.tuple(fc.constant(answers), fc.shuffledSubarray(answers, { minLength: answers.length })),
        ),
        ([answers, shuffled]) => {
          const a = majorityVote(answers);
          const b = majorityVote(shuffled);
          expect(b.key).toBe(a.key);
          expect(b.tie).toBe(a.tie);
          expect(b.groups.map((group) => group.count)).toEqual(a.groups.map((group) => group.count));
        },
      ),
    );
  });

  it('names a tie and how it was broken, and a plain majority', () => {
    const tie = majorityVote([
      { agent: 'tester', key: '"no"' },
      { agent: 'reviewer', key: '"yes"' },
    ]);
    expect(tie).toMatchObject({ winner: 'tester', tie: true });
    expect(tie.settled).toBe(
      "vote: tester 1, reviewer 1; a tie between 2 answers, so the one first in canonical order (tester's) wins",
    );
    const majority = majorityVote([
      { agent: 'a', key: '"x"' },
      { agent: 'b', key: '"y"' },
      { agent: 'c', key: '"y"' },
    ]);
    expect(majority).toMatchObject({
      winner: 'b',
      tie: false,
      groups: [
        { agents: ['b', 'c'], count: 2 },
        { agents: ['a'], count: 1 },
      ],
    });
    expect(majority.settled).toBe('vote: b + c 2, a 1; the majority (b, c) wins');
  });
});

describe('normalizeOutput', () => {
  it('lets outputs agree whatever their key order, case and punctuation', () => {
    expect(normalizeOutput({ verdict: 'Approve!', reasons: ['Small'] })).toBe(
      normalizeOutput({ reasons: ['small'], verdict: 'approve' }),
    );
    expect(normalizeOutput({ verdict: 'approve' })).not.toBe(normalizeOutput({ verdict: 'reject' }));
  });
});

describe('tallyVotes (the chat team vote)', () => {
  it('gives a tie to the answer named first and says so', () => {
    expect(tallyVotes(['x', 'y'], { x: 1, y: 0 })).toMatchObject({
      winner: 'x',
      settled: 'vote: x 1, y 1; a tie, so the first named (x) wins',
    });
    expect(tallyVotes(['x', 'y', 'z'], { x: 2, y: 2, z: 0 }).settled).toBe('vote: x 1, y 0, z 2');
  });
});

describe('bestOf and scoreAnswer', () => {
  it('takes the highest score, then the cheaper answer, then the first listed', () => {
    expect(
      bestOf([
        { agent: 'a', score: 80, costUsd: 0 },
        { agent: 'b', score: 90, costUsd: 1 },
      ]).winner,
    ).toBe('b');
    const cheaper = bestOf([
      { agent: 'a', score: 90, costUsd: 0.2 },
      { agent: 'b', score: 90, costUsd: 0.1 },
    ]);
    expect(cheaper).toMatchObject({
      winner: 'b',
      settled: 'best-of: a 90, b 90; 2 answers tie on score, so the cheapest (b) wins',
    });
    expect(
      bestOf([
        { agent: 'a', score: 90, costUsd: 0 },
        { agent: 'b', score: 90, costUsd: 0 },
      ]).winner,
    ).toBe('a');
  });

  it('scores an answer whose tests pass above one whose tests fail', () => {
    const pass = scoreAnswer({ output: { passed: true }, toolCalls: [{ ok: true }] });
    const fail = scoreAnswer({ output: { passed: false }, toolCalls: [{ ok: true }, { ok: false }] });
    expect(pass.score).toBe(100);
    expect(fail.score).toBeLessThan(pass.score);
  });
});

describe('parseDecision', () => {
  it('reads a malformed decision as choice 0 with no reasons', () => {
    expect(parseDecision('nonsense')).toEqual({ choice: 0, agree: false, reasons: [] });
    expect(parseDecision({ choice: 2.7, agree: true, reasons: ['ok', 3] })).toEqual({
      choice: 2,
      agree: true,
      reasons: ['ok'],
    });
  });
});

type Asked = { revised: string[]; decided: string[] };
const answer = (agent: string, text: string): TeamAnswer<string> => ({
  agent,
  key: normalizeOutput(text),
  text,
  value: text,
});
const plan = (mode: TeamPlan['mode'], rounds = 2): TeamPlan => ({
  mode,
  rounds,
  judge: 'reviewer',
  question: 'Pick a name',
  subject: TaskSubject,
  vote: 'answers',
});
const io = (asked: Asked, decision: Decision, revise: (agent: string, round: number) => string) => ({
  revise: (previous: TeamAnswer<string>, round: number, note: string) => {
    asked.revised.push(`${previous.agent}@${round}`);
    expect(note).toContain(`Debate round ${round} of`);
    expect(note).not.toContain(`### ${previous.agent}\n`);
    return Promise.resolve(answer(previous.agent, revise(previous.agent, round)));
  },
  decide: (agent: string, task: string) => {
    asked.decided.push(agent);
    expect(task).toMatch(/^Judge the team's answers to the task/);
    return Promise.resolve(decision);
  },
});

describe('settleTeam', () => {
  it('lets the judge choose, with its reasons, and says so when its choice does not exist', async () => {
    const asked: Asked = { revised: [], decided: [] };
    const first = [answer('a', 'one'), answer('b', 'two'), answer('c', 'three')];
    const judged = await settleTeam(
      first,
      plan('judge'),
      io(asked, { choice: 2, agree: false, reasons: ['clearest'] }, () => ''),
    );
    expect(judged).toMatchObject({
      winner: 'c',
      winnerIndex: 2,
      disagreed: true,
      settled: 'the judge (reviewer) chose c: clearest',
    });
    expect(asked).toEqual({ revised: [], decided: ['reviewer'] });
    const stray = await settleTeam(
      first,
      plan('judge'),
      io(asked, { choice: 7, agree: false, reasons: [] }, () => ''),
    );
    expect(stray.winner).toBe('a');
    expect(stray.settled).toContain('answer 7, which does not exist');
  });

  it('debates for the rounds asked while the agents disagree, then lets the judge decide', async () => {
    const asked: Asked = { revised: [], decided: [] };
    const first = [answer('a', 'one'), answer('b', 'two')];
    const debated = await settleTeam(
      first,
      plan('debate', 2),
      io(asked, { choice: 1, agree: false, reasons: [] }, (agent, round) => `${agent}${round}`),
    );
    expect(asked.revised).toEqual(['a@1', 'b@1', 'a@2', 'b@2']);
    expect(debated).toMatchObject({
      rounds: 2,
      winner: 'b',
      settled: 'no agreement after 2 rounds; the judge (reviewer) chose b',
    });
    expect(debated.answers.map((a) => a.text)).toEqual(['a2', 'b2']);
  });

  it('ends a debate early when the agents come to agree, with no judge', async () => {
    const asked: Asked = { revised: [], decided: [] };
    const debated = await settleTeam(
      [answer('a', 'one'), answer('b', 'two')],
      plan('debate', 3),
      io(asked, { choice: 0, agree: true, reasons: [] }, () => 'Agreed'),
    );
    expect(debated).toMatchObject({
      rounds: 1,
      disagreed: true,
      settled: 'the agents agreed after 1 round of debate',
    });
    expect(asked.decided).toEqual([]);
  });

  it('counts structured answers in a vote, without asking anyone', async () => {
    const asked: Asked = { revised: [], decided: [] };
    const voted = await settleTeam(
      [answer('a', 'Alpha'), answer('b', 'beta'), answer('c', 'alpha!')],
      plan('vote'),
      io(asked, { choice: 0, agree: true, reasons: [] }, () => ''),
    );
    expect(voted).toMatchObject({ winner: 'a', disagreed: true, tie: false });
    expect(asked).toEqual({ revised: [], decided: [] });
  });

  it('tells a debater only the others\u2019 answers', () => {
    const note = debateNote(1, 2, [{ agent: 'b', text: 'two' }], 'the task');
    expect(note).toBe(
      'Debate round 1 of 2. The other agents answered:\n\n### b\ntwo\n\nKeep your answer if you still think it right, or give a better one. Answer the task again, in full.',
    );
  });
});
