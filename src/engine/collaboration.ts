import { CheckName, evaluate, type CheckResult, type Evaluation } from '../learning/evaluator';
import { ChatSubject, debateNote, judgeTask, type Decision, type Subject } from './collaboration-prompts';
import { majorityVote, tallyVotes, type AnswerGroup } from './collaboration-votes';

export { countBallots, majorityVote, tallyVotes, type AnswerGroup } from './collaboration-votes';
export {
  ChatSubject,
  TaskSubject,
  debateNote,
  decisionSchema,
  judgeTask,
  parseDecision,
  type Decision,
  type Subject,
} from './collaboration-prompts';

/**
 * How a team's answers are compared and settled: by vote, by a judge, by debate then a judge, or by
 * the evaluator's score. Pure and deterministic, so a workflow can run it: the spec's `collaborate`
 * steps and the chat's team mode both settle through `settleTeam`, giving it their own way to ask an
 * agent again (`revise`) and to ask for a decision (`decide`).
 */

export const CollaborationMode = {
  Vote: 'vote',
  Judge: 'judge',
  Debate: 'debate',
  BestOf: 'best-of',
} as const;
export type CollaborationMode = (typeof CollaborationMode)[keyof typeof CollaborationMode];

/** The most agents one step or chat turn may ask, and the most rounds a debate may last. */
export const MAX_COLLABORATORS = 5;
export const MAX_DEBATE_ROUNDS = 5;

/** Two texts agree when they say the same words, whatever the case, spacing and punctuation. */
export function normalizeAnswer(text: string): string {
  return text
    .toLowerCase()
    .replace(/\[simulated\]/g, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/**
 * A structured output's canonical form: object keys sorted, strings normalised as answers are, so two
 * agents that give the same object in another key order or capitalisation agree.
 */
export function normalizeOutput(value: unknown): string {
  return JSON.stringify(canonical(value));
}

function canonical(value: unknown): unknown {
  if (typeof value === 'string') return normalizeAnswer(value);
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([key, v]) => [key, canonical(v)]));
  }
  return value ?? null;
}

/** Whether the agents' answers differ. */
export function disagree(texts: string[]): boolean {
  return new Set(texts.map(normalizeAnswer)).size > 1;
}

/**
 * The evaluator's score of one agent's answer, from what can be checked without a judge: the agent
 * finished, its answer met its output contract (the loop checks it), its tool calls were accepted,
 * and the tests passed when the answer reports on them (`passed` or `testsPass`).
 */
export function scoreAnswer(answer: { output: unknown; toolCalls?: readonly { ok: boolean }[] }): Evaluation {
  const checks: CheckResult[] = [
    { name: CheckName.StepSucceeded, passed: true },
    { name: CheckName.SchemaValid, passed: answer.output !== undefined && answer.output !== null },
  ];
  const calls = answer.toolCalls ?? [];
  if (calls.length > 0)
    checks.push({
      name: CheckName.DiffApplied,
      passed: calls.filter((call) => call.ok).length / calls.length,
      detail: 'share of tool calls accepted',
    });
  const reported = testsReported(answer.output);
  if (reported !== undefined) checks.push({ name: CheckName.TestsPassed, passed: reported });
  return evaluate({ checks });
}

function testsReported(output: unknown): boolean | undefined {
  if (!output || typeof output !== 'object') return undefined;
  const { passed, testsPass } = output as { passed?: unknown; testsPass?: unknown };
  if (typeof passed === 'boolean') return passed;
  if (typeof testsPass === 'boolean') return testsPass;
  return undefined;
}

/**
 * Best-of: the highest score wins; equal scores go to the cheaper answer, then to the agent listed
 * first. Answers the winner's index and the scores, in words.
 */
export function bestOf(answers: readonly { agent: string; score: number; costUsd: number }[]): {
  index: number;
  winner: string;
  settled: string;
} {
  let index = 0;
  answers.forEach((answer, i) => {
    const best = answers[index]!;
    if (answer.score > best.score || (answer.score === best.score && answer.costUsd < best.costUsd))
      index = i;
  });
  const winner = answers[index]?.agent ?? '';
  const top = answers[index];
  const tied = answers.filter((answer) => answer.score === top?.score);
  const scores = answers.map((answer) => `${answer.agent} ${answer.score}`).join(', ');
  const why =
    tied.length > 1
      ? `; ${tied.length} answers tie on score, so the ${tied.every((answer) => answer.costUsd === top?.costUsd) ? 'first listed' : 'cheapest'} (${winner}) wins`
      : `; ${winner} scores highest`;
  return { index, winner, settled: `best-of: ${scores}${why}` };
}

/** One answer of a team: whose, its normalised form (what agreement compares), and the text a judge reads. */
export type TeamAnswer<A> = { agent: string; key: string; text: string; value: A };

export type TeamPlan = {
  mode: CollaborationMode;
  /** Debate only: how many rounds the agents may revise their answers. */
  rounds: number;
  /** The agent that judges (judge and debate). */
  judge: string;
  question: string;
  subject?: Subject;
  /**
   * How a vote is taken: each agent votes for the best answer by ballot (the chat's free text), or the
   * answers themselves are counted (a spec's structured outputs).
   */
  vote: 'ballots' | 'answers';
};

export type TeamIo<A> = {
  /** Asks an agent again in a debate round, with the note that shows it the others' answers. */
  revise(answer: TeamAnswer<A>, round: number, note: string): Promise<TeamAnswer<A>>;
  /** Asks an agent for a decision (a judge's verdict, a voter's ballot). */
  decide(agent: string, task: string): Promise<Decision>;
  /** Best-of: the evaluator's score of an answer. */
  score?(answer: TeamAnswer<A>): number;
};

/** How a team's answers were settled: the winner, why, and what the resolution saw on the way. */
export type Settlement<A> = {
  mode: CollaborationMode;
  /** The answers that stand at the end (after a debate's last round), in the agents' order. */
  answers: TeamAnswer<A>[];
  disagreed: boolean;
  /** Index into `answers`. */
  winnerIndex: number;
  winner: string;
  settled: string;
  rounds?: number;
  /** Ballot vote: whom each voter voted for. */
  votes?: Record<string, string>;
  /** Answer vote: the groups of agents that agreed, largest first. */
  groups?: AnswerGroup[];
  tie?: boolean;
  verdict?: Decision & { judge: string };
  scores?: Record<string, number>;
};

/**
 * Settles a team's first answers by the plan's mode. Deterministic for deterministic `io`: the order
 * of asks follows the answers' order, and ties are broken by fixed rules.
 */
export async function settleTeam<A>(
  first: TeamAnswer<A>[],
  plan: TeamPlan,
  io: TeamIo<A>,
): Promise<Settlement<A>> {
  const subject = plan.subject ?? ChatSubject;
  const texts = (answers: TeamAnswer<A>[]) => answers.map((answer) => answer.text);
  const listed = (answers: TeamAnswer<A>[]) => answers.map(({ agent, text }) => ({ agent, text }));
  const differ = (answers: TeamAnswer<A>[]) =>
    plan.vote === 'answers'
      ? new Set(answers.map((answer) => answer.key)).size > 1
      : disagree(texts(answers));
  const agreedAt = (index: number) => first[index]?.agent ?? '';
  if (first.length === 1)
    return {
      mode: plan.mode,
      answers: first,
      disagreed: false,
      winnerIndex: 0,
      winner: agreedAt(0),
      settled: 'only one agent answered',
    };
  if (plan.mode === CollaborationMode.Vote && plan.vote === 'ballots') {
    const agents = first.map((answer) => answer.agent);
    const task = judgeTask(plan.question, listed(first), subject);
    const ballots = await Promise.all(
      agents.map((agent) => io.decide(agent, `${task}\n\nYou are ${agent}; vote for the best answer.`)),
    );
    const votes = Object.fromEntries(agents.map((agent, index) => [agent, ballots[index]?.choice ?? index]));
    const tally = tallyVotes(agents, votes);
    return {
      mode: plan.mode,
      answers: first,
      disagreed: disagree(texts(first)),
      winnerIndex: Math.max(0, agents.indexOf(tally.winner)),
      winner: tally.winner,
      settled: tally.settled,
      votes: Object.fromEntries(
        Object.entries(votes).map(([agent, choice]) => [agent, agents[choice] ?? String(choice)]),
      ),
    };
  }
  if (plan.mode === CollaborationMode.Vote) {
    const vote = majorityVote(first);
    return {
      mode: plan.mode,
      answers: first,
      disagreed: vote.groups.length > 1,
      winnerIndex: Math.max(
        0,
        first.findIndex((answer) => answer.agent === vote.winner),
      ),
      winner: vote.winner,
      settled: vote.settled,
      groups: vote.groups,
      tie: vote.tie,
    };
  }
  if (plan.mode === CollaborationMode.BestOf) {
    const scored = first.map((answer) => ({ answer, score: io.score?.(answer) ?? 0 }));
    const best = bestOf(
      scored.map(({ answer, score }) => ({ agent: answer.agent, score, costUsd: costOf(answer.value) })),
    );
    return {
      mode: plan.mode,
      answers: first,
      disagreed: differ(first),
      winnerIndex: best.index,
      winner: best.winner,
      settled: best.settled,
      scores: Object.fromEntries(scored.map(({ answer, score }) => [answer.agent, score])),
    };
  }
  let answers = first;
  let rounds = 0;
  if (plan.mode === CollaborationMode.Debate) {
    while (rounds < plan.rounds && differ(answers)) {
      rounds += 1;
      const round = rounds;
      const previous = answers;
      answers = await Promise.all(
        previous.map((answer) =>
          io.revise(
            answer,
            round,
            debateNote(
              round,
              plan.rounds,
              listed(previous.filter((other) => other !== answer)),
              subject.what,
            ),
          ),
        ),
      );
    }
  }
  const disagreed = differ(answers);
  if (plan.mode === CollaborationMode.Debate && !disagreed)
    return {
      mode: plan.mode,
      answers,
      disagreed: differ(first),
      winnerIndex: 0,
      winner: answers[0]?.agent ?? '',
      settled:
        rounds === 0
          ? 'the agents agreed at once'
          : `the agents agreed after ${rounds} round${rounds > 1 ? 's' : ''} of debate`,
      rounds,
    };
  const verdict = await io.decide(plan.judge, judgeTask(plan.question, listed(answers), subject));
  const inRange = verdict.choice >= 0 && verdict.choice < answers.length;
  const winnerIndex = inRange ? verdict.choice : 0;
  const winner = answers[winnerIndex]?.agent ?? '';
  const reasons = verdict.reasons.length > 0 ? `: ${verdict.reasons.join('; ')}` : '';
  const stray = inRange
    ? ''
    : ` (it named answer ${verdict.choice}, which does not exist, so the first stands)`;
  return {
    mode: plan.mode,
    answers,
    disagreed,
    winnerIndex,
    winner,
    settled: `${plan.mode === CollaborationMode.Debate ? `no agreement after ${rounds} round${rounds === 1 ? '' : 's'}; ` : ''}the judge (${plan.judge}) chose ${winner}${stray}${reasons}`,
    verdict: { ...verdict, judge: plan.judge },
    ...(plan.mode === CollaborationMode.Debate && { rounds }),
  };
}

function costOf(value: unknown): number {
  const cost = value && typeof value === 'object' ? (value as { costUsd?: unknown }).costUsd : undefined;
  return typeof cost === 'number' ? cost : 0;
}
