/** The counting of a team's votes, by ballot (the chat) or by answer (a spec's outputs). Pure. */

/**
 * Counts ballots for candidates: each ballot names one candidate (others are ignored). The leaders are
 * the candidates with the most ballots, in the candidates' order.
 */
export function countBallots(
  candidates: readonly string[],
  ballots: readonly string[],
): { counts: Record<string, number>; leaders: string[] } {
  const counts: Record<string, number> = Object.fromEntries(candidates.map((candidate) => [candidate, 0]));
  for (const ballot of ballots) if (ballot in counts) counts[ballot] = (counts[ballot] ?? 0) + 1;
  const top = Math.max(0, ...candidates.map((candidate) => counts[candidate] ?? 0));
  return { counts, leaders: candidates.filter((candidate) => counts[candidate] === top) };
}

/**
 * The winner of a ballot vote (the chat's vote): each voter names the answer it finds best, by index;
 * most votes wins, a tie goes to the answer named first. Answers the tally, in words.
 */
export function tallyVotes(
  agents: string[],
  votes: Record<string, number>,
): { winner: string; counts: Record<string, number>; settled: string } {
  const ballots = Object.values(votes).flatMap((choice) => agents[choice] ?? []);
  const { counts, leaders } = countBallots(agents, ballots);
  const winner = leaders[0] ?? agents[0] ?? '';
  const tally = agents.map((agent) => `${agent} ${counts[agent] ?? 0}`).join(', ');
  return {
    winner,
    counts,
    settled: `vote: ${tally}${leaders.length > 1 ? `; a tie, so the first named (${winner}) wins` : ''}`,
  };
}

/** One group of agents that gave the same answer, in a majority vote. */
export type AnswerGroup = { agents: string[]; count: number };

/**
 * A majority vote on the answers themselves: each agent's normalised answer is its ballot. The answer
 * given most wins; a tie goes to the tied answer first in canonical (code-unit) order, so the result
 * does not depend on the order the answers came in. The winner is the first listed agent that gave it.
 */
export function majorityVote(answers: readonly { agent: string; key: string }[]): {
  winner: string;
  key: string;
  groups: AnswerGroup[];
  tie: boolean;
  settled: string;
} {
  const keys = [...new Set(answers.map((answer) => answer.key))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const { counts, leaders } = countBallots(
    keys,
    answers.map((answer) => answer.key),
  );
  const key = leaders[0] ?? '';
  const agentsOf = (k: string) => answers.filter((answer) => answer.key === k).map((answer) => answer.agent);
  const groups = keys
    .map((k) => ({ agents: agentsOf(k), count: counts[k] ?? 0 }))
    .sort(
      (a, b) =>
        b.count - a.count ||
        answers.findIndex((x) => x.agent === a.agents[0]) - answers.findIndex((x) => x.agent === b.agents[0]),
    );
  const winner = agentsOf(key)[0] ?? '';
  const tally = groups.map((group) => `${group.agents.join(' + ')} ${group.count}`).join(', ');
  const tie = leaders.length > 1;
  const settled =
    groups.length === 1
      ? `vote: all ${answers.length} answers agree`
      : `vote: ${tally}${tie ? `; a tie between ${leaders.length} answers, so the one first in canonical order (${winner}'s) wins` : `; the majority (${agentsOf(key).join(', ')}) wins`}`;
  return { winner, key, groups, tie, settled };
}
