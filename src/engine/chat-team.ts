import {
  ChatSubject,
  normalizeAnswer,
  settleTeam,
  type Decision,
  type TeamAnswer,
  type TeamIo,
} from './collaboration';
import type { ChatEntry, TeamOutcome, TeamRequest } from './chat-types';

/**
 * The chat's team mode on the shared engine (collaboration.ts): a team's answers are chat entries,
 * compared as text, and a vote is by ballot. Pure; the chat workflow gives it the asking.
 */

export {
  debateNote,
  decisionSchema,
  disagree,
  judgeTask,
  normalizeAnswer,
  tallyVotes,
} from './collaboration';

/** A chat entry as one answer of a team. */
export function teamAnswer(entry: ChatEntry): TeamAnswer<ChatEntry> {
  return { agent: entry.agent ?? '', key: normalizeAnswer(entry.text), text: entry.text, value: entry };
}

/**
 * Settles a team turn: debate rounds and decisions are asked through `io`; answers the outcome the
 * chat records, and the entries that stand (a debate's last round).
 */
export async function settleChatTeam(
  question: string,
  team: TeamRequest,
  judge: string,
  answers: ChatEntry[],
  io: {
    revise(entry: ChatEntry, round: number, note: string): Promise<ChatEntry>;
    decide(agent: string, task: string): Promise<Decision>;
  },
): Promise<{ outcome: TeamOutcome; answers: ChatEntry[] }> {
  const teamIo: TeamIo<ChatEntry> = {
    revise: async (answer, round, note) => teamAnswer(await io.revise(answer.value, round, note)),
    decide: (agent, task) => io.decide(agent, task),
  };
  const settled = await settleTeam(
    answers.map(teamAnswer),
    { mode: team.resolve, rounds: team.rounds, judge, question, subject: ChatSubject, vote: 'ballots' },
    teamIo,
  );
  const outcome: TeamOutcome = {
    method: team.resolve,
    answers: settled.answers.map((answer) => answer.value.id),
    disagreed: settled.disagreed,
    winner: settled.winner,
    settled: settled.settled,
    ...(settled.votes && { votes: settled.votes }),
    ...(settled.rounds !== undefined && { rounds: settled.rounds }),
  };
  return { outcome, answers: settled.answers.map((answer) => answer.value) };
}
