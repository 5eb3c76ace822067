import type { ChatEntryView } from '../../api/chat-types';

/** A team's answers: the first answers side by side, each debate round after, then the resolution. */
export type TeamView = { rounds: ChatEntryView[][]; resolution: ChatEntryView | undefined };

/** One user message and what answers it, in the order the conversation shows them. */
export type TurnView = {
  id: string;
  user: ChatEntryView | undefined;
  /** Replies, plans, runs and command answers, outside a team's grid. */
  answers: ChatEntryView[];
  team: TeamView | undefined;
};

/**
 * The conversation as turns: each entry joins the user message it answers; a team-mode turn's replies
 * become rounds (round 0 is the first answers) and its resolution, shown apart from the rest.
 */
export function groupTurns(messages: ChatEntryView[]): TurnView[] {
  const turns = new Map<string, TurnView>();
  const order: TurnView[] = [];
  const turnOf = (id: string) => {
    let turn = turns.get(id);
    if (!turn) {
      turn = { id, user: undefined, answers: [], team: undefined };
      turns.set(id, turn);
      order.push(turn);
    }
    return turn;
  };
  for (const entry of messages) {
    if (entry.role === 'user') {
      const turn = turnOf(entry.id);
      turn.user = entry;
      if (entry.mode === 'team') turn.team = { rounds: [], resolution: undefined };
      continue;
    }
    const turn = turnOf(entry.turn);
    if (turn.team && entry.role === 'assistant') {
      if (entry.team) {
        turn.team.resolution = entry;
        continue;
      }
      const round = entry.round ?? 0;
      while (turn.team.rounds.length <= round) turn.team.rounds.push([]);
      turn.team.rounds[round]?.push(entry);
      continue;
    }
    turn.answers.push(entry);
  }
  return order;
}

/** The turn being answered now, or queued: the stop button cancels these. */
export function turnInFlight(messages: ChatEntryView[]): boolean {
  return messages.some(
    (entry) => entry.role === 'user' && (entry.status === 'running' || entry.status === 'queued'),
  );
}

/** Which agents disagreed and who won, in words for the resolution card. */
export function describeResolution(resolution: ChatEntryView): string {
  const team = resolution.team;
  if (!team) return '';
  const method = { vote: 'by vote', judge: 'by the judge', debate: 'by debate' }[team.method];
  if (!team.disagreed) return `The agents agreed; settled ${method}.`;
  return `The agents disagreed; settled ${method}${team.winner ? `: ${team.winner}'s answer stands` : ''}.`;
}
