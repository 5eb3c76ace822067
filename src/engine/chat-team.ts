/** How a team's answers are compared and settled; pure, shared by the chat workflow and its tests. */

/** Two answers agree when they say the same words, whatever the case, spacing and punctuation. */
export function normalizeAnswer(text: string): string {
  return text
    .toLowerCase()
    .replace(/\[simulated\]/g, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** Whether the agents' answers differ. */
export function disagree(answers: string[]): boolean {
  return new Set(answers.map(normalizeAnswer)).size > 1;
}

/**
 * The winner of a vote: each voter names the answer it finds best (by index, never its own when it
 * can help it); most votes wins, a tie goes to the answer named first. Answers the tally, in words.
 */
export function tallyVotes(
  agents: string[],
  votes: Record<string, number>,
): { winner: string; counts: Record<string, number>; settled: string } {
  const counts: Record<string, number> = Object.fromEntries(agents.map((agent) => [agent, 0]));
  for (const choice of Object.values(votes)) {
    const agent = agents[choice];
    if (agent !== undefined) counts[agent] = (counts[agent] ?? 0) + 1;
  }
  let winner = agents[0] ?? '';
  for (const agent of agents) if ((counts[agent] ?? 0) > (counts[winner] ?? 0)) winner = agent;
  const tally = agents.map((agent) => `${agent} ${counts[agent] ?? 0}`).join(', ');
  const tie = agents.filter((agent) => counts[agent] === counts[winner]).length > 1;
  return {
    winner,
    counts,
    settled: `vote: ${tally}${tie ? `; a tie, so the first named (${winner}) wins` : ''}`,
  };
}

/** What a debater is told in round `round`: the others' answers, and to keep or change its own. */
export function debateNote(round: number, rounds: number, others: { agent: string; text: string }[]): string {
  const answers = others.map(({ agent, text }) => `### ${agent}\n${text}`).join('\n\n');
  return `Debate round ${round} of ${rounds}. The other agents answered:\n\n${answers}\n\nKeep your answer if you still think it right, or give a better one. Answer the user's message again, in full.`;
}

/** The judge's task: the question and the numbered answers. */
export function judgeTask(question: string, answers: { agent: string; text: string }[]): string {
  const listed = answers.map(({ agent, text }, index) => `Answer ${index} (${agent}):\n${text}`).join('\n\n');
  return `Judge the team's answers to the user's message and choose the best.\n\nThe message:\n${question}\n\n${listed}\n\nAnswer with the index of the best answer, whether the answers agree, and your reasons.`;
}

/** The JSON schema of a judge's or voter's decision. */
export const decisionSchema = {
  type: 'object',
  properties: {
    choice: { type: 'integer', minimum: 0 },
    agree: { type: 'boolean' },
    reasons: { type: 'array', items: { type: 'string' } },
  },
  required: ['choice', 'agree', 'reasons'],
} as const;
